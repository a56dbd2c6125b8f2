// TempDir: a fresh directory for one test, removed with everything in it afterwards.
#pragma once

#include <filesystem>

namespace quire::testing {

class TempDir {
 public:
  TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::filesystem::path& path() const { return path_; }
  // A path inside the directory that does not exist yet.
  std::filesystem::path Sub(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace quire::testing
