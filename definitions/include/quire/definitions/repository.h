// DefinitionRepository: deployed BPMN files and the process versions they define, in the
// store's `definitions` column family.
//
// Deploying a file loads and checks it (LoadBpmn); each executable process in it gets
// version N+1 — unless the file is byte-for-byte the one its latest version came from
// (same SHA-256), which is recognised and not deployed again. Running instances keep the
// version they started with: versions are never changed or removed here.
//
// Records (stored: never change a prefix or a field's meaning):
//   "src" String(sha256)                 → the file as deployed
//   "off" String(process id)             → "" the process was undeployed (Withdraw)
//   "ver" String(process id) U32Desc(v)  → JSON {version, hash, name, source, deployed_at}
//                                          (newest version first under a prefix scan)
//   "frm" String(form id) U32Desc(v)     → JSON {form, version, hash, source, deployed_at}:
//                                          a deployed Camunda form (its schema under "src")
//
// Thread-safety: all methods may be called concurrently; deployments are serialised.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quire/base/result.h"
#include "quire/definitions/bpmn_loader.h"
#include "quire/definitions/diagnostic.h"
#include "quire/definitions/iso8601.h"
#include "quire/definitions/model.h"
#include "quire/storage/store.h"

namespace quire::definitions {

struct ProcessVersion {
  std::string process_id;
  std::string name;
  std::uint32_t version = 0;
  std::string hash;         // SHA-256 of the deployed file
  std::string source_name;  // the file name given at deployment
  Timestamp deployed_at;
  bool is_new = false;  // in a Deploy result: deployed now, not recognised as unchanged
};

struct FormVersion {
  std::string form_id;
  std::uint32_t version = 0;
  std::string hash;  // SHA-256 of the schema as deployed
  std::string source_name;
  Timestamp deployed_at;
  bool is_new = false;
};

// Which version of a deployed form a task uses (camunda:formRefBinding,
// zeebe:formDefinition bindingType).
struct FormBinding {
  enum class Kind : std::uint8_t { kLatest, kVersion, kDeployment };
  Kind kind = Kind::kLatest;
  std::uint32_t version = 0;  // kVersion
  Timestamp deployed_by;      // kDeployment: the latest version deployed by then
};

struct Deployment {
  std::string hash;
  std::vector<ProcessVersion> processes;  // the executable processes of the file
  std::vector<Diagnostic> warnings;
};

class DefinitionRepository {
 public:
  // REQUIRES: `store` outlives the repository.
  explicit DefinitionRepository(storage::Store& store) : store_(store) {}

  // How Deploy checks files: the engine's inline task types, so that a loop through them
  // alone is refused before it runs. Stored versions are loaded as they were deployed.
  // Call before the repository is shared with other threads.
  void set_load_options(LoadOptions options) { load_options_ = std::move(options); }

  // Errors: kValidationFailed with one detail per problem ("line:col" → message) when the
  // file does not load; kInvalidArgument when it holds no executable process.
  Result<Deployment> Deploy(std::string_view xml, std::string_view source_name, Timestamp now);

  // Every version of `process_id`, newest first; kNotFound when it was never deployed.
  Result<std::vector<ProcessVersion>> Versions(const std::string& process_id) const;
  // The latest version of every deployed process, by process id.
  Result<std::vector<ProcessVersion>> Latest() const;
  // The file a version came from; the latest version when `version` is empty.
  Result<std::string> Source(const std::string& process_id,
                             std::optional<std::uint32_t> version = std::nullopt) const;
  // One version; the latest (not withdrawn) when `version` is empty. Errors: kNotFound.
  Result<ProcessVersion> Version(const std::string& process_id,
                                 std::optional<std::uint32_t> version = std::nullopt) const {
    return version ? FindVersion(process_id, version) : Find(process_id, version);
  }

  // Stops new instances of a process: its latest version is no longer found (kNotFound);
  // explicit versions stay readable for the instances and history that use them. Deploying
  // it again brings it back as a new version.
  Result<void> Withdraw(const std::string& process_id);

  // Deploys a Camunda Forms schema (a .form file): version N+1 of the form its "id" names,
  // unless it is byte-for-byte its latest version. Errors: kValidationFailed (not a form,
  // no id, components that cannot be read; one detail each).
  Result<FormVersion> DeployForm(std::string_view json, std::string_view source_name,
                                 Timestamp now);
  // Every version of a form, newest first. Errors: kNotFound.
  Result<std::vector<FormVersion>> FormVersions(const std::string& form_id) const;
  // The latest version of every deployed form.
  Result<std::vector<FormVersion>> LatestForms() const;
  // The version `binding` selects, and its schema. Errors: kNotFound saying what to deploy.
  Result<std::pair<FormVersion, std::string>> FindForm(const std::string& form_id,
                                                       const FormBinding& binding) const;

  // The loaded model of a version (parsed once, then shared). Also for withdrawn processes.
  Result<std::shared_ptr<const Definitions>> Load(
      const std::string& process_id, std::optional<std::uint32_t> version = std::nullopt) const;

 private:
  Result<ProcessVersion> Find(const std::string& process_id,
                              std::optional<std::uint32_t> version) const;
  // Find, ignoring withdrawal.
  Result<ProcessVersion> FindVersion(const std::string& process_id,
                                     std::optional<std::uint32_t> version) const;
  Result<bool> IsWithdrawn(const std::string& process_id) const;

  storage::Store& store_;
  LoadOptions load_options_;
  std::mutex deploy_mu_;  // one deployment at a time: version numbers must not collide
  mutable std::mutex cache_mu_;
  mutable std::map<std::string, std::shared_ptr<const Definitions>>
      cache_;  // GUARDED_BY(cache_mu_), by hash
};

}  // namespace quire::definitions
