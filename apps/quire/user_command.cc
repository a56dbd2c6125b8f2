// quire user ... and quire token ...: accounts and API tokens on a stopped data directory
// (provisioning, recovery). What they do is recorded in the audit chain as local
// administration (LocalActor: the --as name, or "local:<os user>", via "local (<os user>)").
#include <boost/json.hpp>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "commands.h"
#include "engine_session.h"
#include "quire/definitions/iso8601.h"

namespace quire::app {
namespace {

struct Parsed {
  std::vector<std::string> positional;
  std::map<std::string, std::vector<std::string>> options;  // --name → values
  std::set<std::string> flags;
};

// Options with a value: `valued`; flags: `flags`. Errors name the bad argument.
Result<Parsed> Parse(const std::vector<std::string>& args, std::size_t from,
                     const std::set<std::string>& valued, const std::set<std::string>& flags) {
  Parsed p;
  for (std::size_t i = from; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (!a.starts_with("--")) {
      p.positional.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    if (name == "expires" || name.starts_with("expires=")) {
      name = "expires-in" + name.substr(7);  // the earlier name, before HTTP's expiresIn
    }
    std::optional<std::string> inline_value;
    if (const std::size_t eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (flags.contains(name)) {
      p.flags.insert(name);
    } else if (valued.contains(name)) {
      if (inline_value) {
        p.options[name].push_back(*inline_value);
      } else if (i + 1 < args.size()) {
        p.options[name].push_back(args[++i]);
      } else {
        return Error::InvalidArgument("--" + name + " needs a value");
      }
    } else {
      return Error::InvalidArgument("unknown option '" + a + "'");
    }
  }
  return p;
}

std::string One(const Parsed& p, const std::string& name, const std::string& fallback = "") {
  const auto it = p.options.find(name);
  return it == p.options.end() || it->second.empty() ? fallback : it->second.back();
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!part.empty()) out.push_back(std::move(part));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The password from stdin: the first line, without its line end. Never echoed or logged.
Result<std::string> PasswordFromStdin() {
  std::string line;
  if (!std::getline(std::cin, line)) {
    return Error::InvalidArgument("--password-stdin: no password on standard input");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

int Fail(const std::string& command, const Error& e) {
  PrintError(command, e);
  return kExitFailure;
}

int Usage(const std::string& command, const std::string& message) {
  std::cerr << "quire " << command << ": " << message << "; see 'quire help " << command << "'\n";
  return kExitUsage;
}

}  // namespace

std::string UserUsage() {
  return R"(Usage:
  quire user add ID --name NAME [--email E] [--role ROLE]... [--password-stdin]
  quire user passwd ID --password-stdin
  quire user roles ID --set ROLE,...
  quire user disable ID | quire user enable ID
  quire user list
Common options: --data-dir DIR (default quire-data), --as NAME (who you are, for the audit chain)

Works on a data directory that no 'quire serve' has open (provisioning, recovery); with a
server running use its HTTP API (POST /api/users, PUT /api/users/{id}/password, ...).
Passwords: 8 to 128 characters, not one of the most common. Roles: administrator, designer,
supervisor, staff, auditor, worker, and those an administrator defined.
)";
}

std::string TokenUsage() {
  return R"(Usage:
  quire token create --user ID [--name N] [--expires-in DURATION] [--role ROLE]...
  quire token list [--user ID]
  quire token revoke TOKEN_ID
Common options: --data-dir DIR (default quire-data), --as NAME (who you are, for the audit chain)

create prints the token's id and details, and the token itself alone on the last line of
standard output (shown this once: it is stored only as a hash). Use it as
'Authorization: Bearer TOKEN'. --expires-in takes an ISO 8601 duration (P90D); --role narrows
the token to some of the user's roles.
)";
}

int RunUser(const std::vector<std::string>& args) {
  if (args.empty())
    return Usage("user", "name an action: add, passwd, roles, disable, enable, list");
  const std::string action = args[0];
  auto parsed =
      Parse(args, 1, {"data-dir", "name", "email", "role", "set", "as"}, {"password-stdin"});
  if (!parsed) return Usage("user", parsed.error().message());
  const std::string data_dir = One(*parsed, "data-dir", "quire-data");
  const audit::Actor actor = LocalActor(One(*parsed, "as"));
  const std::string command = "user " + action;
  if (action == "list") {
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    auto users = session->directory().ListUsers();
    if (!users) return Fail(command, users.error());
    for (const org::User& u : *users) {
      auto roles = session->identity().UserRoles(u.id);
      std::string joined;
      for (const std::string& r : roles.value_or(std::vector<std::string>{})) {
        joined += (joined.empty() ? "" : ",") + r;
      }
      std::cout << u.id << "\t" << u.name << "\t" << (u.active ? "active" : "disabled") << "\t"
                << (joined.empty() ? "-" : joined) << "\n";
    }
    return kExitOk;
  }
  if (parsed->positional.size() != 1) return Usage(command, "name one user id");
  const std::string id = parsed->positional[0];
  if (action == "add") {
    const std::string name = One(*parsed, "name");
    if (name.empty()) return Usage(command, "--name is required");
    std::string password;
    if (parsed->flags.contains("password-stdin")) {
      auto p = PasswordFromStdin();
      if (!p) return Fail(command, p.error());
      password = *p;
      if (auto ok = org::CheckPasswordRules(password, id); !ok) return Fail(command, ok.error());
    }
    std::optional<std::vector<std::string>> roles;
    if (const auto it = parsed->options.find("role"); it != parsed->options.end()) {
      roles.emplace();
      for (const std::string& r : it->second) {
        for (std::string& one : SplitComma(r)) roles->push_back(std::move(one));
      }
    }
    auto session = OpenSession(command, data_dir, {.create = true});
    if (!session) return kExitFailure;
    org::User u{id, name, One(*parsed, "email"), "", true, ""};
    if (auto r = session->identity().PutUser(u, roles, password, /*must_be_new=*/true, actor); !r) {
      return Fail(command, r.error());
    }
    std::cout << "user '" << id << "' added" << (password.empty() ? " (no password yet)" : "")
              << "\n";
    return kExitOk;
  }
  if (action == "passwd") {
    if (!parsed->flags.contains("password-stdin")) {
      return Usage(command, "give the new password on standard input with --password-stdin");
    }
    auto p = PasswordFromStdin();
    if (!p) return Fail(command, p.error());
    if (auto ok = org::CheckPasswordRules(*p, id); !ok) return Fail(command, ok.error());
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    if (auto r = session->identity().SetPassword(id, *p, actor); !r) {
      return Fail(command, r.error());
    }
    std::cout << "password of '" << id << "' set; their sessions are ended\n";
    return kExitOk;
  }
  if (action == "roles") {
    if (!parsed->options.contains("set")) return Usage(command, "--set ROLE,... is required");
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    const std::vector<std::string> roles = SplitComma(One(*parsed, "set"));
    if (auto r = session->identity().SetUserRoles(id, roles, actor); !r) {
      return Fail(command, r.error());
    }
    std::string joined;
    for (const std::string& r : roles) joined += (joined.empty() ? "" : ",") + r;
    std::cout << "roles of '" << id << "': " << (joined.empty() ? "none" : joined) << "\n";
    return kExitOk;
  }
  if (action == "disable" || action == "enable") {
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    if (auto r = session->identity().SetActive(id, action == "enable", actor); !r) {
      return Fail(command, r.error());
    }
    std::cout << "user '" << id << "' " << action << "d\n";
    return kExitOk;
  }
  return Usage("user", "unknown action '" + action + "'");
}

int RunToken(const std::vector<std::string>& args) {
  if (args.empty()) return Usage("token", "name an action: create, list, revoke");
  const std::string action = args[0];
  const std::string command = "token " + action;
  auto parsed = Parse(args, 1, {"data-dir", "user", "name", "expires-in", "role", "as"}, {});
  if (!parsed) return Usage(command, parsed.error().message());
  const std::string data_dir = One(*parsed, "data-dir", "quire-data");
  const audit::Actor actor = LocalActor(One(*parsed, "as"));
  if (action == "create") {
    const std::string user = One(*parsed, "user");
    if (user.empty()) return Usage(command, "--user ID is required");
    std::optional<Timestamp> expires;
    if (const std::string text = One(*parsed, "expires-in"); !text.empty()) {
      auto d = definitions::ParseDuration(text);
      if (!d) return Usage(command, "--expires-in must be an ISO 8601 duration such as P90D");
      expires = definitions::Add(SystemClock::Instance().Now(), *d);
    }
    std::vector<std::string> roles;
    if (const auto it = parsed->options.find("role"); it != parsed->options.end()) {
      for (const std::string& r : it->second) {
        for (std::string& one : SplitComma(r)) roles.push_back(std::move(one));
      }
    }
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    auto t = session->identity().CreateToken(user, One(*parsed, "name"), expires, roles, actor);
    if (!t) return Fail(command, t.error());
    std::cout << "token " << t->info.id << " for '" << user << "'"
              << (expires ? " until " + definitions::FormatDateTime(*expires) : std::string())
              << " (shown once; keep it secret):\n"
              << t->secret << "\n";
    return kExitOk;
  }
  if (action == "list") {
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    auto tokens = session->identity().Tokens(One(*parsed, "user"));
    if (!tokens) return Fail(command, tokens.error());
    for (const org::TokenInfo& t : *tokens) {
      std::string roles;
      for (const std::string& r : t.roles) roles += (roles.empty() ? "" : ",") + r;
      std::cout << t.id << "\t" << t.user << "\t" << (t.name.empty() ? "-" : t.name) << "\t"
                << "created " << definitions::FormatDateTime(t.created) << "\t"
                << (t.expires ? "expires " + definitions::FormatDateTime(*t.expires)
                              : std::string("no expiry"))
                << "\t" << (roles.empty() ? "user's roles" : "roles " + roles) << "\n";
    }
    return kExitOk;
  }
  if (action == "revoke") {
    if (parsed->positional.size() != 1) return Usage(command, "name one token id");
    auto session = OpenSession(command, data_dir);
    if (!session) return kExitFailure;
    if (auto r = session->identity().RevokeToken(parsed->positional[0], actor); !r) {
      return Fail(command, r.error());
    }
    std::cout << "token " << parsed->positional[0] << " revoked\n";
    return kExitOk;
  }
  return Usage("token", "unknown action '" + action + "'");
}

}  // namespace quire::app
