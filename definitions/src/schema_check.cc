#include "schema_check.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

#include "quire/definitions/bpmn_loader.h"

namespace quire::definitions::internal {
namespace {

// Top-level Quire extension elements (children of BPMN elements).
constexpr std::array<std::string_view, 5> kElements = {"form", "escalation", "link",
                                                       "requiredDocument", "connector"};
// Quire attributes allowed on BPMN elements (declared at the end of the schema).
constexpr std::array<std::string_view, 11> kAttributes = {
    "assignee",       "candidateUsers", "candidateGroups", "priority",
    "dueDate",        "followUpDate",   "formKey",         "formRef",
    "formRefBinding", "formRefVersion", "calledVersion"};

template <std::size_t N>
std::string List(const std::array<std::string_view, N>& names) {
  std::string out;
  for (std::string_view n : names) out += (out.empty() ? "" : ", ") + std::string(n);
  return out;
}

template <std::size_t N>
bool Contains(const std::array<std::string_view, N>& names, std::string_view name) {
  for (std::string_view n : names) {
    if (n == name) return true;
  }
  return false;
}

void IgnoreError(void*, xmlErrorPtr) {}

// The schema, parsed once for the life of the process (libxml2 schemas are safe to share
// between validation contexts on different threads).
xmlSchemaPtr Schema() {
  static xmlSchemaPtr schema = [] {
    xmlInitParser();
    xmlSchemaParserCtxtPtr parser =
        xmlSchemaNewMemParserCtxt(kQuireSchemaXsd, static_cast<int>(std::strlen(kQuireSchemaXsd)));
    xmlSchemaSetParserStructuredErrors(parser, IgnoreError, nullptr);
    xmlSchemaPtr parsed = xmlSchemaParse(parser);
    xmlSchemaFreeParserCtxt(parser);
    return parsed;
  }();
  return schema;
}

bool InQuire(const xmlNode* node) {
  return node != nullptr && node->type == XML_ELEMENT_NODE && node->ns != nullptr &&
         std::string_view(reinterpret_cast<const char*>(node->ns->href)) == kQuireNamespace;
}

std::string QualifiedName(const xmlNode* node) {
  std::string name;
  if (node->ns != nullptr && node->ns->prefix != nullptr) {
    name = std::string(reinterpret_cast<const char*>(node->ns->prefix)) + ":";
  }
  return name + reinterpret_cast<const char*>(node->name);
}

class Checker {
 public:
  Checker(std::string_view xml, Findings& findings) : xml_(xml), findings_(findings) {}

  Location Where(const xmlNode* node) const {
    const long line = xmlGetLineNo(node);
    if (line <= 0) return {};
    // The column: where the element's tag opens on its line.
    std::size_t start = 0;
    for (long l = 1; l < line && start != std::string_view::npos; ++l) {
      start = xml_.find('\n', start);
      if (start != std::string_view::npos) ++start;
    }
    if (start == std::string_view::npos) return {static_cast<int>(line), 0};
    const std::size_t end = std::min(xml_.find('\n', start), xml_.size());
    const std::size_t at = xml_.substr(start, end - start).find("<" + QualifiedName(node));
    return {static_cast<int>(line), at == std::string_view::npos ? 0 : static_cast<int>(at) + 1};
  }

  void Report(const xmlNode* node, std::string message) {
    findings_.Error(node != nullptr ? Where(node) : Location{}, "", std::move(message));
  }

  static void OnError(void* self, xmlErrorPtr error) {
    auto* checker = static_cast<Checker*>(self);
    std::string message = error->message != nullptr ? error->message : "schema violation";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
      message.pop_back();
    const std::string braced = "{" + std::string(kQuireNamespace) + "}";
    for (std::size_t at; (at = message.find(braced)) != std::string::npos;) {
      message.replace(at, braced.size(), "quire:");
    }
    checker->Report(static_cast<const xmlNode*>(error->node), "schema: " + message);
  }

  void Run(xmlDocPtr doc, xmlSchemaValidCtxtPtr validator) {
    std::vector<xmlNode*> stack{xmlDocGetRootElement(doc)};
    while (!stack.empty()) {
      xmlNode* node = stack.back();
      stack.pop_back();
      if (node == nullptr || node->type != XML_ELEMENT_NODE) continue;
      if (InQuire(node)) {
        const std::string_view local = reinterpret_cast<const char*>(node->name);
        if (!Contains(kElements, local)) {
          Report(node, "<" + QualifiedName(node) +
                           "> is not a Quire extension element; the "
                           "ones that go on BPMN elements are " +
                           List(kElements));
        } else {
          xmlSchemaValidateOneElement(validator, node);  // reports through OnError
        }
        continue;  // its subtree was validated with it
      }
      for (xmlAttr* a = node->properties; a != nullptr; a = a->next) {
        if (a->ns == nullptr ||
            std::string_view(reinterpret_cast<const char*>(a->ns->href)) != kQuireNamespace) {
          continue;
        }
        const std::string_view name = reinterpret_cast<const char*>(a->name);
        if (!Contains(kAttributes, name)) {
          Report(node, "quire:" + std::string(name) + " on <" + QualifiedName(node) +
                           "> is not a Quire attribute; the known ones are " + List(kAttributes));
        }  // values of the known ones are checked by the loader (expressions, numbers)
      }
      for (xmlNode* child = node->last; child != nullptr; child = child->prev) {
        stack.push_back(child);
      }
    }
  }

 private:
  std::string_view xml_;
  Findings& findings_;
};

}  // namespace

void CheckQuireSchema(std::string_view xml, Findings& findings) {
  if (xml.find(kQuireNamespace) == std::string_view::npos) return;
  if (xml.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
    findings.Warning({}, "", "the file is too large for the schema check of Quire's elements");
    return;
  }
  const xmlSchemaPtr schema = Schema();
  if (schema == nullptr) {
    findings.Error({}, "", "internal error: Quire's own extension schema does not load");
    return;
  }
  const std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)> doc(
      xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "definition.bpmn", nullptr,
                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                        XML_PARSE_BIG_LINES | XML_PARSE_HUGE),
      &xmlFreeDoc);
  if (!doc) {
    findings.Warning({}, "",
                     "the Quire extension elements could not be checked against the "
                     "schema: libxml2 cannot read this file");
    return;
  }
  const std::unique_ptr<xmlSchemaValidCtxt, decltype(&xmlSchemaFreeValidCtxt)> validator(
      xmlSchemaNewValidCtxt(schema), &xmlSchemaFreeValidCtxt);
  Checker checker(xml, findings);
  xmlSchemaSetValidStructuredErrors(validator.get(), &Checker::OnError, &checker);
  checker.Run(doc.get(), validator.get());
}

}  // namespace quire::definitions::internal
