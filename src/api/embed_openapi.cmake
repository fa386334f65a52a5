# Turns openapi.json into a C++ source so the one binary carries its own API description.
file(READ ${INPUT} content)
file(WRITE ${OUTPUT} "namespace haven::api {\nextern const char* const kOpenApiJson;\nconst char* const kOpenApiJson = R\"openapi(${content})openapi\";\n}\n")
