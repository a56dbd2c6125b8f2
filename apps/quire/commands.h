// The quire CLI's subcommands. Each takes the arguments after its name and returns the
// process exit code: 0 success, 1 failure at run time, 2 bad usage.
#pragma once

#include <string>
#include <vector>

namespace quire::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// quire serve [--data-dir DIR] [--host ADDR] [--port N] [--config FILE] ...
int RunServe(const std::vector<std::string>& args);
// The option reference of `quire serve`, for `quire help serve`.
std::string ServeUsage();

// quire validate [--json] FILE...
int RunValidate(const std::vector<std::string>& args);
std::string ValidateUsage();

// quire deploy [--data-dir DIR] FILE...
int RunDeploy(const std::vector<std::string>& args);
std::string DeployUsage();

// quire run FILE [--vars JSON] [--complete-tasks auto|SCRIPT.json] ...
int RunRun(const std::vector<std::string>& args);
std::string RunUsage();

// quire start PROCESS [--vars JSON] [--business-key KEY] [--version N] [--data-dir DIR]
int RunStart(const std::vector<std::string>& args);
std::string StartUsage();

// quire incidents [list] [--instance ID] | retry ID [--retries N]  [--data-dir DIR]
int RunIncidents(const std::vector<std::string>& args);
std::string IncidentsUsage();

// quire tasks list|show|claim|... (see TasksUsage)
int RunTasks(const std::vector<std::string>& args);
std::string TasksUsage();

// quire audit export|verify|head|pubkey|proof|consistency|check-proof
int RunAudit(const std::vector<std::string>& args);
std::string AuditUsage();

// quire doc put|get|show|versions|checkout|checkin|cancel-checkout|link|search|...
int RunDoc(const std::vector<std::string>& args);
std::string DocUsage();

// quire crm import customers|contacts|activities FILE [...]
int RunCrm(const std::vector<std::string>& args);
// quire crm segments ...: args[0] is "segments".
int RunSegments(const std::vector<std::string>& args);
// quire crm campaigns ...: args[0] is "campaigns".
int RunCampaigns(const std::vector<std::string>& args);
std::string CrmUsage();

// quire org import FILE | users | groups
int RunOrg(const std::vector<std::string>& args);
std::string OrgUsage();

// quire user add|passwd|roles|disable|enable|list (see UserUsage)
int RunUser(const std::vector<std::string>& args);
std::string UserUsage();

// quire token create|list|revoke (see TokenUsage)
int RunToken(const std::vector<std::string>& args);
std::string TokenUsage();

}  // namespace quire::app
