#include "quire/definitions/repository.h"

#include <boost/json.hpp>

#include "quire/base/sha256.h"
#include "quire/definitions/bpmn_loader.h"
#include "quire/definitions/camunda_form.h"
#include "quire/storage/key_codec.h"

namespace quire::definitions {
namespace {

using storage::ColumnFamily;
using storage::KeyDecoder;
using storage::KeyEncoder;

std::string SourceKey(const std::string& hash) {
  return KeyEncoder().String("src").String(hash).Take();
}
std::string VersionPrefix(const std::string& process_id) {
  return KeyEncoder().String("ver").String(process_id).Take();
}
std::string VersionKey(const std::string& process_id, std::uint32_t version) {
  return KeyEncoder().String("ver").String(process_id).U64Desc(version).Take();
}

std::string FormPrefix(const std::string& form_id) {
  return KeyEncoder().String("frm").String(form_id).Take();
}
std::string FormKey(const std::string& form_id, std::uint32_t version) {
  return KeyEncoder().String("frm").String(form_id).U64Desc(version).Take();
}

std::string EncodeForm(const FormVersion& v) {
  return boost::json::serialize(
      boost::json::object{{"form", v.form_id},
                          {"version", v.version},
                          {"hash", v.hash},
                          {"source", v.source_name},
                          {"deployed_at", v.deployed_at.time_since_epoch().count()}});
}

Result<FormVersion> DecodeForm(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) return Error::Corruption("a form version record is not JSON");
  const boost::json::object& o = value.as_object();
  FormVersion v;
  if (const auto* f = o.if_contains("form"); f && f->is_string()) v.form_id = f->as_string();
  if (const auto* h = o.if_contains("hash"); h && h->is_string()) v.hash = h->as_string();
  if (const auto* n = o.if_contains("source"); n && n->is_string()) v.source_name = n->as_string();
  if (const auto* n = o.if_contains("version"); n && n->is_number()) {
    v.version = n->to_number<std::uint32_t>();
  }
  if (const auto* t = o.if_contains("deployed_at"); t && t->is_number()) {
    v.deployed_at = Timestamp(std::chrono::milliseconds(t->to_number<std::int64_t>()));
  }
  if (v.form_id.empty() || v.version == 0 || v.hash.empty()) {
    return Error::Corruption("a form version record lacks its form, version or hash");
  }
  return v;
}

std::string WithdrawnKey(const std::string& process_id) {
  return KeyEncoder().String("off").String(process_id).Take();
}

std::string Encode(const ProcessVersion& v) {
  return boost::json::serialize(
      boost::json::object{{"process", v.process_id},
                          {"name", v.name},
                          {"version", v.version},
                          {"hash", v.hash},
                          {"source", v.source_name},
                          {"deployed_at", v.deployed_at.time_since_epoch().count()}});
}

Result<ProcessVersion> Decode(std::string_view json) {
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(json, ec);
  if (ec || !value.is_object()) return Error::Corruption("a process version record is not JSON");
  const boost::json::object& o = value.as_object();
  const auto text = [&o](std::string_view k) {
    const boost::json::value* v = o.if_contains(k);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  const auto number = [&o](std::string_view k) -> std::int64_t {
    const boost::json::value* v = o.if_contains(k);
    return v != nullptr && v->is_int64()
               ? v->as_int64()
               : (v && v->is_uint64() ? static_cast<std::int64_t>(v->as_uint64()) : 0);
  };
  ProcessVersion v;
  v.process_id = text("process");
  v.name = text("name");
  v.version = static_cast<std::uint32_t>(number("version"));
  v.hash = text("hash");
  v.source_name = text("source");
  v.deployed_at = Timestamp(std::chrono::milliseconds(number("deployed_at")));
  if (v.process_id.empty() || v.version == 0 || v.hash.empty()) {
    return Error::Corruption("a process version record lacks its process, version or hash");
  }
  return v;
}

}  // namespace

Result<Deployment> DefinitionRepository::Deploy(std::string_view xml, std::string_view source_name,
                                                Timestamp now) {
  const LoadResult loaded = LoadBpmn(xml, load_options_);
  if (!loaded.ok()) {
    Error error = Error::ValidationFailed(
        std::string(source_name.empty() ? "the file" : source_name) + " is not a valid definition");
    for (const Diagnostic& d : loaded.diagnostics) {
      if (d.severity != Severity::kError) continue;
      error.AddDetail(std::to_string(d.where.line) + ":" + std::to_string(d.where.column),
                      d.message);
    }
    return error;
  }
  Deployment deployment;
  deployment.hash = Sha256Hex(xml);
  for (const Diagnostic& d : loaded.diagnostics) deployment.warnings.push_back(d);

  const std::lock_guard lock(deploy_mu_);
  storage::WriteBatch batch;
  bool source_needed = false;
  for (const Process& process : loaded.definitions->processes) {
    if (!process.executable) continue;
    ProcessVersion v;
    v.process_id = process.id;
    v.name = process.name;
    v.hash = deployment.hash;
    v.source_name = std::string(source_name);
    v.deployed_at = now;
    QUIRE_ASSIGN_OR_RETURN(const bool withdrawn, IsWithdrawn(process.id));
    if (withdrawn) batch.Delete(ColumnFamily::kDefinitions, WithdrawnKey(process.id));
    auto latest = FindVersion(process.id, std::nullopt);
    if (!latest && latest.error().code() != ErrorCode::kNotFound) return latest.error();
    if (latest && latest->hash == deployment.hash && !withdrawn) {
      deployment.processes.push_back(*latest);  // recognised: the same file as its latest
      continue;
    }
    v.version = latest ? latest->version + 1 : 1;
    v.is_new = true;
    batch.Put(ColumnFamily::kDefinitions, VersionKey(v.process_id, v.version), Encode(v));
    source_needed = true;
    deployment.processes.push_back(std::move(v));
  }
  if (deployment.processes.empty()) {
    return Error::InvalidArgument(
        std::string(source_name.empty() ? "the file" : source_name) +
        " has no executable process (all are isExecutable=\"false\"): nothing to deploy");
  }
  if (source_needed) {
    batch.Put(ColumnFamily::kDefinitions, SourceKey(deployment.hash), xml);
    QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kSync));
    const std::lock_guard cache_lock(cache_mu_);
    cache_.emplace(deployment.hash, loaded.definitions);
  }
  return deployment;
}

Result<std::vector<ProcessVersion>> DefinitionRepository::Versions(
    const std::string& process_id) const {
  std::vector<ProcessVersion> out;
  for (auto it = store_.ScanPrefix(ColumnFamily::kDefinitions, VersionPrefix(process_id));
       it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(ProcessVersion v, Decode(it.value()));
    out.push_back(std::move(v));
  }
  if (out.empty()) return Error::NotFound("no process '" + process_id + "' has been deployed");
  return out;
}

Result<std::vector<ProcessVersion>> DefinitionRepository::Latest() const {
  std::vector<ProcessVersion> out;
  const std::string prefix = KeyEncoder().String("ver").Take();
  auto it = store_.ScanPrefix(ColumnFamily::kDefinitions, prefix);
  while (it.Valid()) {
    QUIRE_ASSIGN_OR_RETURN(ProcessVersion v, Decode(it.value()));
    // Versions sort newest first within a process: the first is the latest; skip the rest.
    const std::string next = storage::PrefixSuccessor(VersionPrefix(v.process_id));
    QUIRE_ASSIGN_OR_RETURN(const bool withdrawn, IsWithdrawn(v.process_id));
    if (!withdrawn) out.push_back(std::move(v));
    if (next.empty()) break;
    it.Seek(next);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<bool> DefinitionRepository::IsWithdrawn(const std::string& process_id) const {
  QUIRE_ASSIGN_OR_RETURN(const std::optional<std::string> marker,
                         store_.Get(ColumnFamily::kDefinitions, WithdrawnKey(process_id)));
  return marker.has_value();
}

Result<void> DefinitionRepository::Withdraw(const std::string& process_id) {
  const std::lock_guard lock(deploy_mu_);
  QUIRE_RETURN_IF_ERROR(FindVersion(process_id, std::nullopt));
  storage::WriteBatch batch;
  batch.Put(ColumnFamily::kDefinitions, WithdrawnKey(process_id), "");
  return store_.Write(batch, storage::Durability::kSync);
}

Result<ProcessVersion> DefinitionRepository::Find(const std::string& process_id,
                                                  std::optional<std::uint32_t> version) const {
  if (!version) {
    QUIRE_ASSIGN_OR_RETURN(const bool withdrawn, IsWithdrawn(process_id));
    if (withdrawn) {
      return Error::NotFound("process '" + process_id +
                             "' was undeployed; deploy it again to start instances");
    }
  }
  return FindVersion(process_id, version);
}

Result<ProcessVersion> DefinitionRepository::FindVersion(
    const std::string& process_id, std::optional<std::uint32_t> version) const {
  if (version) {
    QUIRE_ASSIGN_OR_RETURN(
        const std::optional<std::string> record,
        store_.Get(ColumnFamily::kDefinitions, VersionKey(process_id, *version)));
    if (!record) {
      return Error::NotFound("process '" + process_id + "' has no version " +
                             std::to_string(*version));
    }
    return Decode(*record);
  }
  auto it = store_.ScanPrefix(ColumnFamily::kDefinitions, VersionPrefix(process_id));
  if (!it.Valid()) {
    QUIRE_RETURN_IF_ERROR(it.status());
    return Error::NotFound("no process '" + process_id + "' has been deployed");
  }
  return Decode(it.value());
}

Result<std::string> DefinitionRepository::Source(const std::string& process_id,
                                                 std::optional<std::uint32_t> version) const {
  QUIRE_ASSIGN_OR_RETURN(const ProcessVersion v, FindVersion(process_id, version));
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> source,
                         store_.Get(ColumnFamily::kDefinitions, SourceKey(v.hash)));
  if (!source) {
    return Error::Corruption("the file of process '" + process_id + "' version " +
                             std::to_string(v.version) + " is missing from the store");
  }
  return std::move(*source);
}

Result<std::shared_ptr<const Definitions>> DefinitionRepository::Load(
    const std::string& process_id, std::optional<std::uint32_t> version) const {
  QUIRE_ASSIGN_OR_RETURN(const ProcessVersion v, FindVersion(process_id, version));
  {
    const std::lock_guard lock(cache_mu_);
    if (const auto it = cache_.find(v.hash); it != cache_.end()) return it->second;
  }
  QUIRE_ASSIGN_OR_RETURN(const std::string source, Source(process_id, v.version));
  LoadResult loaded = LoadBpmn(source);
  if (!loaded.ok()) {
    return Error::Corruption("the stored file of process '" + process_id + "' version " +
                             std::to_string(v.version) + " no longer loads");
  }
  const std::lock_guard lock(cache_mu_);
  return cache_.emplace(v.hash, std::move(loaded.definitions)).first->second;
}

Result<FormVersion> DefinitionRepository::DeployForm(std::string_view json,
                                                     std::string_view source_name, Timestamp now) {
  const std::string name(source_name.empty() ? "the form" : source_name);
  auto form = ReadCamundaForm(json);
  if (!form) {
    Error error =
        Error::ValidationFailed(name + " is not a valid Camunda form: " + form.error().message());
    for (const ErrorDetail& d : form.error().details()) error.AddDetail(d.field, d.message);
    return error;
  }
  if (form->id.empty()) {
    return Error::ValidationFailed(
        name +
        " has no \"id\": tasks name a deployed form by its id (camunda:formRef, "
        "zeebe:formDefinition formId); set one in the form editor's properties");
  }
  FormVersion v;
  v.form_id = form->id;
  v.hash = Sha256Hex(json);
  v.source_name = std::string(source_name);
  v.deployed_at = now;
  const std::lock_guard lock(deploy_mu_);
  auto versions = FormVersions(v.form_id);
  if (!versions && versions.error().code() != ErrorCode::kNotFound) return versions.error();
  if (versions && versions->front().hash == v.hash) return versions->front();
  v.version = versions ? versions->front().version + 1 : 1;
  v.is_new = true;
  storage::WriteBatch batch;
  batch.Put(ColumnFamily::kDefinitions, SourceKey(v.hash), json);
  batch.Put(ColumnFamily::kDefinitions, FormKey(v.form_id, v.version), EncodeForm(v));
  QUIRE_RETURN_IF_ERROR(store_.Write(batch, storage::Durability::kSync));
  return v;
}

Result<std::vector<FormVersion>> DefinitionRepository::FormVersions(
    const std::string& form_id) const {
  std::vector<FormVersion> out;
  auto it = store_.ScanPrefix(ColumnFamily::kDefinitions, FormPrefix(form_id));
  for (; it.Valid(); it.Next()) {
    QUIRE_ASSIGN_OR_RETURN(FormVersion v, DecodeForm(it.value()));
    out.push_back(std::move(v));
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  if (out.empty()) {
    return Error::NotFound("no form '" + form_id +
                           "' has been deployed (deploy its .form file: quire deploy FILE.form, "
                           "or POST /api/forms)");
  }
  return out;
}

Result<std::vector<FormVersion>> DefinitionRepository::LatestForms() const {
  std::vector<FormVersion> out;
  auto it = store_.ScanPrefix(ColumnFamily::kDefinitions, KeyEncoder().String("frm").Take());
  while (it.Valid()) {
    QUIRE_ASSIGN_OR_RETURN(FormVersion v, DecodeForm(it.value()));
    const std::string next = storage::PrefixSuccessor(FormPrefix(v.form_id));
    out.push_back(std::move(v));
    if (next.empty()) break;
    it.Seek(next);
  }
  QUIRE_RETURN_IF_ERROR(it.status());
  return out;
}

Result<std::pair<FormVersion, std::string>> DefinitionRepository::FindForm(
    const std::string& form_id, const FormBinding& binding) const {
  QUIRE_ASSIGN_OR_RETURN(std::vector<FormVersion> versions, FormVersions(form_id));
  const FormVersion* chosen = nullptr;
  for (const FormVersion& v : versions) {  // newest first
    const bool fits =
        binding.kind == FormBinding::Kind::kLatest ||
        (binding.kind == FormBinding::Kind::kVersion && v.version == binding.version) ||
        (binding.kind == FormBinding::Kind::kDeployment && v.deployed_at <= binding.deployed_by);
    if (fits) {
      chosen = &v;
      break;
    }
  }
  if (chosen == nullptr) {
    return Error::NotFound(
        binding.kind == FormBinding::Kind::kVersion
            ? "form '" + form_id + "' has no version " + std::to_string(binding.version)
            : "form '" + form_id +
                  "' had no version deployed before the process (binding \"deployment\"); "
                  "deploy the form, then the process again");
  }
  QUIRE_ASSIGN_OR_RETURN(std::optional<std::string> source,
                         store_.Get(ColumnFamily::kDefinitions, SourceKey(chosen->hash)));
  if (!source) {
    return Error::Corruption("the schema of form '" + form_id + "' version " +
                             std::to_string(chosen->version) + " is missing from the store");
  }
  return std::pair{*chosen, std::move(*source)};
}

}  // namespace quire::definitions
