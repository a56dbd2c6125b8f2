// Data-driven process scenarios, in the spirit of DuckDB's sqllogictest: a .scenario file
// names BPMN files and a script of steps and expectations, run against a real engine and
// store with a manual clock. One test per file under scenarios/. The format:
//
//   # a comment
//   connector crm.lookup {"customerId": "c-17"}   the models' connector of this type answers
//                                           these variables (the CRM's own connectors are
//                                           tested against the CRM; scenarios test the flow)
//   deploy order.bpmn                       a file next to the scenario (.form: a Camunda form)
//   start order {"amount": 5} as o1         start (variables and name optional; default "i")
//   complete review {"ok": true} in o1      complete the open task at an element
//   refuse review {"ok": 3} in o1           completing it with this data fails validation
//   publish payment A-1 {"paid": 1}         correlate a message (name, key, variables)
//   signal price-change                     broadcast a signal
//   set {"amount": 9} in o1                 set process variables
//   retry in o1                             retry the instance's (first) incident
//   advance PT2H                            move the clock; due timers fire
//   restart                                 stop the engine and open it again
//   expect active review, approve in o1     elements waiting, sorted ("-" for none)
//   expect state completed in o1
//   expect var total = 240 in o1            a process variable (JSON)
//   expect incident gateway in o1           an open incident at this element
//   expect entered start, route, review     the elements entered so far, in order
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "engine_fixture.h"
#include "quire/definitions/iso8601.h"

namespace quire::workflow::testing {
namespace {

namespace fs = std::filesystem;

std::string Trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string part;
  while (std::getline(in, part, ',')) {
    part = Trim(part);
    if (!part.empty() && part != "-") out.push_back(part);
  }
  return out;
}

std::vector<fs::path> Scenarios() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(QUIRE_SCENARIOS_DIR)) {
    if (e.path().extension() == ".scenario") out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Answers every job with the same variables.
class CannedConnector final : public Connector {
 public:
  explicit CannedConnector(boost::json::object variables) : variables_(std::move(variables)) {}
  Result<JobOutcome> Run(const JobRequest&) override {
    JobOutcome out;
    out.variables = variables_;
    return out;
  }

 private:
  boost::json::object variables_;
};

class ScenarioTest : public EngineTest, public ::testing::WithParamInterface<fs::path> {
 protected:
  // Splits "rest ... in NAME" into the rest and the instance named.
  InstanceId Target(std::string& rest) {
    const auto at = rest.rfind(" in ");
    std::string name = "i";
    if (at != std::string::npos) {
      name = Trim(rest.substr(at + 4));
      rest = Trim(rest.substr(0, at));
    }
    const auto it = instances_.find(name);
    if (it == instances_.end()) {
      ADD_FAILURE() << where_ << ": no instance named '" << name << "'";
      return 0;
    }
    return it->second;
  }

  // Splits a leading word off `rest`.
  static std::string Word(std::string& rest) {
    const auto sp = rest.find(' ');
    std::string w = rest.substr(0, sp);
    rest = sp == std::string::npos ? "" : Trim(rest.substr(sp + 1));
    return w;
  }

  static std::string Json(std::string& rest) {
    if (rest.empty() || rest.front() != '{') return "{}";
    int depth = 0;
    for (std::size_t i = 0; i < rest.size(); ++i) {
      if (rest[i] == '{') ++depth;
      if (rest[i] == '}' && --depth == 0) {
        std::string json = rest.substr(0, i + 1);
        rest = Trim(rest.substr(i + 1));
        return json;
      }
    }
    ADD_FAILURE() << "unbalanced JSON: " << rest;
    return "{}";
  }

  void Step(const std::string& line) {
    std::string rest = line;
    const std::string verb = Word(rest);
    if (verb == "connector") {
      const std::string type = Word(rest);
      connectors_.Register(
          type, std::make_shared<CannedConnector>(boost::json::parse(Json(rest)).as_object()));
    } else if (verb == "deploy") {
      std::ifstream in(GetParam().parent_path() / rest);
      ASSERT_TRUE(in) << where_ << ": cannot read " << rest;
      std::stringstream text;
      text << in.rdbuf();
      if (rest.ends_with(".form")) {
        auto form = repository_->DeployForm(text.str(), rest, clock_.Now());
        ASSERT_TRUE(form) << where_ << ": " << form.error().message();
      } else {
        Deploy(text.str());
      }
    } else if (verb == "start") {
      const std::string process = Word(rest);
      const std::string vars = Json(rest);
      std::string name = "i";
      if (rest.starts_with("as ")) name = Trim(rest.substr(3));
      instances_[name] = Start(process, vars);
    } else if (verb == "complete") {
      const InstanceId id = Target(rest);
      const std::string element = Word(rest);
      Complete(id, element, Json(rest));
    } else if (verb == "refuse") {
      const InstanceId id = Target(rest);
      const std::string element = Word(rest);
      const std::string data = Json(rest);
      bool found = false;
      for (const TaskInfo& t : Tasks(id)) {
        if (t.element_id != element) continue;
        found = true;
        auto r = engine_->CompleteTask(t.id, boost::json::parse(data).as_object(), "scenario");
        EXPECT_FALSE(r) << where_ << ": completing " << element << " with " << data
                        << " was not refused";
        if (!r) {
          EXPECT_EQ(r.error().code(), ErrorCode::kValidationFailed)
              << where_ << ": refused for another reason: " << r.error().message();
        }
      }
      EXPECT_TRUE(found) << where_ << ": no open task at " << element;
    } else if (verb == "publish") {
      const std::string name = Word(rest);
      std::string key = rest.empty() || rest.front() == '{' ? "" : Word(rest);
      Publish(name, key, Json(rest));
    } else if (verb == "signal") {
      ASSERT_TRUE(engine_->BroadcastSignal(Trim(rest), {}, "scenario"));
      engine_->WaitIdle();
    } else if (verb == "set") {
      const InstanceId id = Target(rest);
      ASSERT_TRUE(engine_->SetVariables(id, boost::json::parse(Json(rest)).as_object(), "s"));
    } else if (verb == "retry") {
      const InstanceId id = Target(rest);
      const auto incidents = Instance(id).incidents;
      ASSERT_FALSE(incidents.empty()) << where_ << ": no incident to retry";
      ASSERT_TRUE(engine_->RetryIncident(incidents[0].id, 1, "scenario"));
      engine_->WaitIdle();
    } else if (verb == "advance") {
      auto d = definitions::ParseDuration(rest);
      ASSERT_TRUE(d) << where_ << ": not a duration: " << rest;
      const Timestamp now = clock_.Now();
      Advance(
          std::chrono::duration_cast<std::chrono::milliseconds>(definitions::Add(now, *d) - now));
    } else if (verb == "restart") {
      Restart();
      engine_->WaitIdle();
    } else if (verb == "expect") {
      Expect(rest);
    } else {
      FAIL() << where_ << ": unknown step '" << verb << "'";
    }
  }

  void Expect(std::string rest) {
    const std::string what = Word(rest);
    const InstanceId id = Target(rest);
    if (what == "active") {
      auto want = SplitList(rest);
      std::sort(want.begin(), want.end());
      EXPECT_EQ(Active(id), want) << where_;
    } else if (what == "state") {
      EXPECT_EQ(State(id), rest) << where_;
    } else if (what == "var") {
      const auto eq = rest.find('=');
      ASSERT_NE(eq, std::string::npos) << where_;
      EXPECT_EQ(Var(id, Trim(rest.substr(0, eq))), boost::json::parse(rest.substr(eq + 1)))
          << where_;
    } else if (what == "incident") {
      const auto incidents = Instance(id).incidents;
      const bool found = std::any_of(incidents.begin(), incidents.end(),
                                     [&](const IncidentInfo& i) { return i.element_id == rest; });
      EXPECT_TRUE(found) << where_ << ": no incident at " << rest;
    } else if (what == "entered") {
      EXPECT_EQ(Entered(id), SplitList(rest)) << where_;
    } else {
      FAIL() << where_ << ": unknown expectation '" << what << "'";
    }
  }

  std::map<std::string, InstanceId> instances_;
  std::string where_;
};

TEST_P(ScenarioTest, Runs) {
  std::ifstream in(GetParam());
  ASSERT_TRUE(in);
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    line = Trim(line);
    if (line.empty() || line.front() == '#') continue;
    where_ = GetParam().filename().string() + ":" + std::to_string(number);
    Step(line);
    if (HasFatalFailure()) return;
  }
}

INSTANTIATE_TEST_SUITE_P(Scenarios, ScenarioTest, ::testing::ValuesIn(Scenarios()),
                         [](const ::testing::TestParamInfo<fs::path>& param) {
                           std::string name = param.param.stem().string();
                           for (char& c : name) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace quire::workflow::testing
