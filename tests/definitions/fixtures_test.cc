// Data-driven: every file in fixtures/ states what loading it must report, in comments
//   <!-- expect error 12:5 text the message contains -->
//   <!-- expect warning 0:0 text -->          (0:0: a finding about the whole file)
// and must report exactly that: no finding missing, none extra. A fixture without
// expectations must load cleanly. A fixture may say how it is loaded:
//   <!-- load with inline task types: noop set-variables -->
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "quire/definitions/bpmn_loader.h"

namespace quire::definitions {
namespace {

struct Expectation {
  Severity severity;
  int line;
  int column;
  std::string text;
};

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<Expectation> ExpectationsIn(const std::string& xml) {
  static const std::regex pattern(R"(<!-- expect (error|warning) (\d+):(\d+) (.*?) -->)");
  std::vector<Expectation> out;
  for (auto it = std::sregex_iterator(xml.begin(), xml.end(), pattern);
       it != std::sregex_iterator(); ++it) {
    out.push_back({(*it)[1] == "error" ? Severity::kError : Severity::kWarning, std::stoi((*it)[2]),
                   std::stoi((*it)[3]), (*it)[4]});
  }
  return out;
}

LoadOptions OptionsIn(const std::string& xml) {
  static const std::regex pattern(R"(<!-- load with inline task types: (.*?) -->)");
  LoadOptions options;
  std::smatch m;
  if (std::regex_search(xml, m, pattern)) {
    std::istringstream types(m[1].str());
    for (std::string type; types >> type;) options.inline_task_types.insert(type);
  }
  return options;
}

std::string Describe(const Diagnostic& d) { return FormatDiagnostic("", d); }

class FixtureTest : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(FixtureTest, ReportsExactlyWhatItExpects) {
  const std::string xml = ReadFile(GetParam());
  ASSERT_FALSE(xml.empty());
  const std::vector<Expectation> expected = ExpectationsIn(xml);
  const LoadResult result = LoadBpmn(xml, OptionsIn(xml));

  std::vector<bool> used(result.diagnostics.size(), false);
  for (const Expectation& e : expected) {
    bool found = false;
    for (std::size_t i = 0; i < result.diagnostics.size() && !found; ++i) {
      const Diagnostic& d = result.diagnostics[i];
      if (!used[i] && d.severity == e.severity && d.where.line == e.line &&
          d.where.column == e.column && d.message.find(e.text) != std::string::npos) {
        used[i] = found = true;
      }
    }
    EXPECT_TRUE(found) << "missing: " << (e.severity == Severity::kError ? "error " : "warning ")
                       << e.line << ":" << e.column << " " << e.text;
  }
  for (std::size_t i = 0; i < result.diagnostics.size(); ++i) {
    EXPECT_TRUE(used[i]) << "unexpected: " << Describe(result.diagnostics[i]);
  }
  const bool expect_errors =
      std::any_of(expected.begin(), expected.end(),
                  [](const Expectation& e) { return e.severity == Severity::kError; });
  EXPECT_EQ(result.ok(), !expect_errors) << "a model is returned exactly when there is no error";
}

std::vector<std::filesystem::path> Fixtures() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(QUIRE_FIXTURES_DIR)) {
    if (entry.path().extension() == ".bpmn") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureTest, ::testing::ValuesIn(Fixtures()),
                         [](const ::testing::TestParamInfo<std::filesystem::path>& param) {
                           std::string name = param.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace quire::definitions
