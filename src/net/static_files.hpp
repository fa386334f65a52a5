#pragma once
// Files from a web root (web/), the fallback for GETs no route matches. Which file a path means is
// ResolveStaticPath (target.hpp); this reads it and names its type. Blocking: run it on the worker pool.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.hpp"

namespace haven::net {

/// Content-Type for a file, by extension (case-insensitive); application/octet-stream when unknown.
std::string ContentTypeFor(const std::filesystem::path& file);

class StaticFiles {
  public:
    /// Serves from `root` (canonicalised). False, and serves nothing, when root is not a directory.
    bool Open(const std::string& root);
    bool Enabled() const { return !root_.empty(); }
    /// 200 with the file for the decoded request path (no-cache), or nullopt: no such file, outside the
    /// root, unreadable or larger than 32 MiB.
    std::optional<Response> Serve(std::string_view path) const;

  private:
    std::filesystem::path root_;  // canonical; empty = nothing is served
};

}  // namespace haven::net
