// quire org import FILE | users | groups: the organisation of a store.
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "commands.h"
#include "engine_session.h"
#include "quire/base/json_text.h"
#include "quire/server/resources.h"

namespace quire::app {
namespace {

// One CSV record: fields separated by commas; a field in double quotes may hold commas,
// line breaks and "" for a quote. Returns false at the end of the input.
bool ReadCsvRecord(std::istream& in, std::vector<std::string>& fields, int& line,
                   std::string& error) {
  fields.clear();
  std::string field;
  bool quoted = false;
  bool any = false;
  int c = 0;
  while ((c = in.get()) != EOF) {
    any = true;
    const char ch = static_cast<char>(c);
    if (quoted) {
      if (ch == '"') {
        if (in.peek() == '"') {
          field.push_back('"');
          in.get();
        } else {
          quoted = false;
        }
      } else {
        if (ch == '\n') ++line;
        field.push_back(ch);
      }
      continue;
    }
    if (ch == '"' && field.empty()) {
      quoted = true;
    } else if (ch == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else if (ch == '\n') {
      ++line;
      break;
    } else if (ch != '\r') {
      field.push_back(ch);
    }
  }
  if (quoted) {
    error = "a quoted field is not closed";
    return false;
  }
  if (!any) return false;
  fields.push_back(std::move(field));
  return true;
}

std::string Trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

std::string OrgUsage() {
  return "Usage: quire org import FILE.csv [--data-dir DIR]\n"
         "       quire org users|groups [--data-dir DIR]\n\n"
         "import reads users from CSV with a header line naming its columns:\n"
         "  id,name,email,phone,supervisor,groups,active,roles\n"
         "(id is required; groups is a ;-separated list, created when missing; roles a\n"
         ";-separated list of roles such as staff;supervisor; active is true or false,\n"
         "default true). A supervisor may be defined further down the file.\n"
         "The whole file is checked first: on any error nothing is imported and every bad\n"
         "line is reported. users and groups print JSON lines.\n";
}

int RunOrg(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << OrgUsage();
    return args.empty() ? kExitUsage : kExitOk;
  }
  std::string data_dir = "quire-data";
  std::vector<std::string> rest;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--data-dir" && i + 1 < args.size()) {
      data_dir = args[++i];
    } else if (args[i].starts_with("--")) {
      std::cerr << "quire org: unknown option '" << args[i] << "'\n";
      return kExitUsage;
    } else {
      rest.push_back(args[i]);
    }
  }
  const std::string& action = args[0];
  if (action == "users" || action == "groups") {
    auto session = OpenSession("org", data_dir);
    if (!session) return kExitFailure;
    if (action == "users") {
      auto users = session->directory().ListUsers();
      if (!users) return PrintError("org users", users.error()), kExitFailure;
      for (const org::User& u : *users) {
        boost::json::array groups;
        if (auto g = session->directory().GroupsOf(u.id))
          groups = boost::json::array(g->begin(), g->end());
        // As GET /api/users/{id} answers it.
        boost::json::object o = server::UserJson(u);
        o["groups"] = std::move(groups);
        std::cout << quire::JsonText(o) << "\n";
      }
    } else {
      auto groups = session->directory().ListGroups();
      if (!groups) return PrintError("org groups", groups.error()), kExitFailure;
      for (const org::Group& g : *groups) {
        boost::json::array members;
        if (auto m = session->directory().Members(g.id))
          members = boost::json::array(m->begin(), m->end());
        std::cout << quire::JsonText(
                         boost::json::object{{"id", g.id}, {"name", g.name}, {"members", members}})
                  << "\n";
      }
    }
    return kExitOk;
  }
  if (action != "import" || rest.size() != 1) {
    std::cerr << "quire org: see 'quire help org'\n";
    return kExitUsage;
  }
  std::ifstream in(rest[0], std::ios::binary);
  if (!in) {
    std::cerr << "quire org import: cannot read " << rest[0] << "\n";
    return kExitFailure;
  }
  // Pass 1: read and check everything.
  struct Row {
    int line;
    org::User user;
    std::vector<std::string> groups;
    std::vector<std::string> roles;
  };
  std::vector<Row> rows;
  std::vector<std::string> errors;
  std::vector<std::string> header;
  int line = 1;
  std::string csv_error;
  if (!ReadCsvRecord(in, header, line, csv_error)) {
    std::cerr << "quire org import: " << rest[0] << " is empty; it needs a header line\n";
    return kExitFailure;
  }
  std::map<std::string, std::size_t> column;
  for (std::size_t i = 0; i < header.size(); ++i) column[Trim(header[i])] = i;
  static const std::set<std::string> known{"id",         "name",   "email",  "phone",
                                           "supervisor", "groups", "active", "roles"};
  for (const auto& [name, i] : column) {
    if (!known.contains(name)) errors.push_back("line 1: unknown column '" + name + "'");
  }
  if (!column.contains("id")) errors.push_back("line 1: the header has no 'id' column");
  std::set<std::string> ids;
  std::vector<std::string> fields;
  for (;;) {
    const int at = line;
    if (!ReadCsvRecord(in, fields, line, csv_error)) {
      if (!csv_error.empty()) errors.push_back("line " + std::to_string(at) + ": " + csv_error);
      break;
    }
    if (fields.size() == 1 && Trim(fields[0]).empty()) continue;  // a blank line
    auto get = [&](const char* name) {
      const auto it = column.find(name);
      return it == column.end() || it->second >= fields.size() ? std::string()
                                                               : Trim(fields[it->second]);
    };
    Row row{
        at, {get("id"), get("name"), get("email"), get("phone"), true, get("supervisor")}, {}, {}};
    const std::string active = get("active");
    if (active == "false")
      row.user.active = false;
    else if (!active.empty() && active != "true") {
      errors.push_back("line " + std::to_string(at) + ": active must be true or false");
    }
    std::stringstream groups(get("groups"));
    std::string g;
    while (std::getline(groups, g, ';')) {
      if (!Trim(g).empty()) row.groups.push_back(Trim(g));
    }
    std::stringstream roles(get("roles"));
    std::string r;
    while (std::getline(roles, r, ';')) {
      if (!Trim(r).empty()) row.roles.push_back(Trim(r));
    }
    if (row.user.id.empty())
      errors.push_back("line " + std::to_string(at) + ": no id");
    else if (!ids.insert(row.user.id).second) {
      errors.push_back("line " + std::to_string(at) + ": user '" + row.user.id + "' appears twice");
    }
    rows.push_back(std::move(row));
  }
  auto session = OpenSession("org import", data_dir, {.create = true});
  if (!session) return kExitFailure;
  org::Directory& directory = session->directory();
  for (const Row& r : rows) {
    for (const std::string& role : r.roles) {
      if (!session->identity().GetRole(role)) {
        errors.push_back("line " + std::to_string(r.line) + ": role '" + role +
                         "' does not exist (built-in: administrator, designer, supervisor, "
                         "staff, auditor, worker)");
      }
    }
    if (!r.user.supervisor.empty() && !ids.contains(r.user.supervisor) &&
        !directory.GetUser(r.user.supervisor)) {
      errors.push_back("line " + std::to_string(r.line) + ": supervisor '" + r.user.supervisor +
                       "' is neither in the file nor a user");
    }
  }
  if (!errors.empty()) {
    for (const std::string& e : errors) std::cerr << rest[0] << ": " << e << "\n";
    std::cerr << "quire org import: nothing was imported\n";
    return kExitFailure;
  }
  const audit::Actor actor = LocalActor("");
  // Pass 2: users without supervisors first, then with them; groups and memberships.
  for (int pass = 0; pass < 2; ++pass) {
    for (const Row& r : rows) {
      org::User u = r.user;
      if (pass == 0) u.supervisor.clear();
      if (pass == 1 && u.supervisor.empty()) continue;
      if (auto done = directory.PutUser(u, actor); !done) {
        std::cerr << rest[0] << ": line " << r.line << ": " << done.error().message() << "\n";
        return kExitFailure;
      }
    }
  }
  std::set<std::string> groups;
  for (const Row& r : rows) {
    for (const std::string& g : r.groups) {
      if (groups.insert(g).second && !directory.GetGroup(g)) {
        if (auto done = directory.PutGroup({g, g}, actor); !done) {
          std::cerr << rest[0] << ": line " << r.line << ": " << done.error().message() << "\n";
          return kExitFailure;
        }
      }
      if (auto done = directory.AddMember(g, r.user.id, actor); !done) {
        std::cerr << rest[0] << ": line " << r.line << ": " << done.error().message() << "\n";
        return kExitFailure;
      }
    }
  }
  for (const Row& r : rows) {
    if (r.roles.empty()) continue;
    if (auto done = session->identity().SetUserRoles(r.user.id, r.roles, actor); !done) {
      std::cerr << rest[0] << ": line " << r.line << ": " << done.error().message() << "\n";
      return kExitFailure;
    }
  }
  std::cout << "imported " << rows.size() << " users and " << groups.size() << " groups\n";
  return kExitOk;
}

}  // namespace quire::app
