// The browser app's files (web/, built by esbuild into a directory of static files),
// served by `quire serve` beside the API: "/" and every path no API route names.
//
// The files are read once, when the routes are added, and served from memory with an ETag
// (If-None-Match answers 304) and a strict Content-Security-Policy: scripts, styles, fonts,
// images and connections from this origin only, no inline script, no framing. A path
// without a file extension that is not a file (/inbox, /tasks/42) answers index.html: the
// app routes in the browser. Paths under /api/ never do (an unknown API path is a JSON 404).
//
// The files are public (the app shell holds no data); everything the app shows comes from
// the API, with the caller's permissions.
#pragma once

#include <filesystem>

#include "quire/base/result.h"
#include "quire/server/router.h"

namespace quire::server {

// The Content-Security-Policy of the app's pages.
inline constexpr const char* kWebAppContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; worker-src 'self' blob:; frame-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// Adds GET / and GET /{path...} serving the files under `dir`. Errors: kNotFound when `dir`
// has no index.html (the app was not built), kInternal when a file cannot be read.
Result<void> AddWebAppRoutes(Router& router, const std::filesystem::path& dir);

// Where the built app is looked for beside a binary at `executable`: DIR/web (a build
// tree: build/dev/quire and build/dev/web), then DIR/../share/quire/web (an install).
// Empty when neither has an index.html.
std::filesystem::path FindWebAppDir(const std::filesystem::path& executable);

}  // namespace quire::server
