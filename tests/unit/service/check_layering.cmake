# service/ and the Daraja interface build without HTTP, sockets or Beast (STYLE.md P4: the service compiles and
# is tested without Beast). Run by ctest as service_layering:
#   cmake -DSRC=<repo>/src -DSERVICE_LINKS=<haven_service's link closure, comma-separated> -P check_layering.cmake
# Fails when a file under src/service, or a Daraja file other than the HTTP client and its per-account registry
# (haven_daraja_http), includes Beast, Asio's
# networking (ip/ssl/sockets) or net/; or when haven_service links haven_net or haven_daraja_http.
cmake_minimum_required(VERSION 3.20)
if(NOT SRC)
  message(FATAL_ERROR "pass -DSRC=<repo>/src")
endif()

file(GLOB service_files ${SRC}/service/*.hpp ${SRC}/service/*.cpp)
file(GLOB daraja_files ${SRC}/daraja/*.hpp ${SRC}/daraja/*.cpp)
list(FILTER daraja_files EXCLUDE REGEX "/(http_daraja_client|account_clients)\\.(hpp|cpp)$")  # haven_daraja_http
set(checked ${service_files} ${daraja_files})
list(LENGTH checked checked_count)
if(checked_count LESS 10)
  message(FATAL_ERROR "found only ${checked_count} files under ${SRC}/service and ${SRC}/daraja: wrong SRC?")
endif()

# Asio's coroutine types (awaitable, co_spawn) are allowed; Beast, HTTP, sockets and our net/ layer are not.
# (boost/asio.hpp pulls in sockets; name the coroutine headers instead.)
set(forbidden_headers "boost/beast|boost/asio\\.hpp|boost/asio/ip/|boost/asio/ssl|boost/asio/.*socket"
                      "|net/|daraja/http_daraja_client\\.hpp")
string(CONCAT forbidden "#[ \t]*include[ \t]*[<\"](" ${forbidden_headers} ")")
set(failures "")
foreach(file IN LISTS checked)
  file(STRINGS ${file} lines REGEX "${forbidden}")
  foreach(line IN LISTS lines)
    file(RELATIVE_PATH rel ${SRC} ${file})
    string(APPEND failures "  ${rel}: ${line}\n")
  endforeach()
endforeach()

string(REPLACE "," ";" SERVICE_LINKS "${SERVICE_LINKS}")
foreach(lib IN LISTS SERVICE_LINKS)
  if(lib STREQUAL "haven_net" OR lib STREQUAL "haven_daraja_http")
    string(APPEND failures "  haven_service links ${lib}\n")
  endif()
endforeach()
if(NOT "haven_daraja" IN_LIST SERVICE_LINKS)
  string(APPEND failures "  haven_service's link closure was not passed (no haven_daraja in '${SERVICE_LINKS}')\n")
endif()

if(failures)
  message(FATAL_ERROR "service/ must build without HTTP, sockets or Beast:\n${failures}")
endif()
message(STATUS "${checked_count} files checked; haven_service links: ${SERVICE_LINKS}")
