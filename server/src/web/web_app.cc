#include "quire/server/web_app.h"

#include <fstream>
#include <iterator>
#include <map>
#include <memory>

#include "quire/base/sha256.h"
#include "quire/server/json.h"

namespace quire::server {
namespace {

namespace fs = std::filesystem;

struct File {
  std::string body;
  std::string content_type;
  std::string etag;
};

std::string ContentType(const fs::path& path) {
  static const std::map<std::string, std::string> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".woff", "font/woff"},
      {".ttf", "font/ttf"},
      {".txt", "text/plain; charset=utf-8"},
      {".wasm", "application/wasm"},
  };
  const auto it = kTypes.find(path.extension().string());
  return it == kTypes.end() ? "application/octet-stream" : it->second;
}

Response Serve(const File& file, const Request& request) {
  Response r;
  r.headers.push_back({"ETag", file.etag});
  // Revalidated on every load: a new build is picked up at once, an unchanged file costs
  // a 304.
  r.headers.push_back({"Cache-Control", "no-cache"});
  r.headers.push_back({"Content-Security-Policy", kWebAppContentSecurityPolicy});
  r.headers.push_back({"Cross-Origin-Opener-Policy", "same-origin"});
  r.headers.push_back({"X-Frame-Options", "DENY"});
  r.content_type = file.content_type;
  if (const auto match = request.header("if-none-match"); match && *match == file.etag) {
    r.status = 304;
    return r;
  }
  r.body = file.body;
  return r;
}

}  // namespace

Result<void> AddWebAppRoutes(Router& router, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_regular_file(dir / "index.html", ec)) {
    return Error::NotFound("the browser app is not built: no index.html in " + dir.string() +
                           " (cmake --build builds it from web/ with Node.js and npm)");
  }
  auto files = std::make_shared<std::map<std::string, File>>();
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it);
       it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::ifstream in(it->path(), std::ios::binary);
    std::string body((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) {
      return Error::Internal("cannot read the browser app's file " + it->path().string());
    }
    const std::string name = fs::relative(it->path(), dir).generic_string();
    File f{std::move(body), ContentType(it->path()), ""};
    f.etag = "\"" + Sha256Hex(f.body).substr(0, 32) + "\"";
    files->emplace(name, std::move(f));
  }
  if (ec) return Error::Internal("cannot list " + dir.string() + ": " + ec.message());

  const File& index = files->at("index.html");
  router.Add("GET", "/", Access::Public(),
             [files, &index](const Request& request) -> Result<Response> {
               return Serve(index, request);
             });
  router.Add("GET", "/{path...}", Access::Public(),
             [files, &index](const Request& request) -> Result<Response> {
               const std::string path(request.path_param("path").value_or(""));
               if (path == "api" || path.starts_with("api/")) {
                 return Error::NotFound("no such resource: GET " + request.path);
               }
               if (const auto it = files->find(path); it != files->end()) {
                 return Serve(it->second, request);
               }
               // /inbox, /tasks/42: the app's own pages. A missing asset is a 404.
               const std::string last = path.substr(path.rfind('/') + 1);
               if (last.find('.') != std::string::npos) {
                 return Error::NotFound("no such file: " + request.path);
               }
               return Serve(index, request);
             });
  return Ok();
}

fs::path FindWebAppDir(const fs::path& executable) {
  std::error_code ec;
  const fs::path bin = fs::weakly_canonical(executable, ec).parent_path();
  for (const fs::path& dir : {bin / "web", bin / ".." / "share" / "quire" / "web"}) {
    if (fs::is_regular_file(dir / "index.html", ec)) return dir.lexically_normal();
  }
  return {};
}

}  // namespace quire::server
