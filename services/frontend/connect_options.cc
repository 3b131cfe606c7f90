#include "services/frontend/connect_options.h"

#include "common/json/parser.h"
#include "common/json/value.h"

namespace meridian::frontend {

absl::Status ParseConnectOptions(std::string_view text, ConnectOptions* out) {
  // Go substitutes U+FFFD for invalid UTF-8 in strings; so do we (odd client names).
  absl::StatusOr<json::Value> doc =
      json::Parse(absl::string_view(text.data(), text.size()), {.replace_invalid_unicode = true});
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return absl::InvalidArgumentError("CONNECT is not a JSON object");
  // Go's json.Unmarshal matches field names case-insensitively and ignores
  // values of the wrong type only by failing; nats-server fails the same way.
  auto flag = [&](absl::string_view key, bool* field) -> absl::Status {
    const json::Value* v = doc->FindFold(key);
    if (v == nullptr || v->is_null()) return absl::OkStatus();
    if (!v->is_bool()) return absl::InvalidArgumentError("CONNECT field of the wrong type");
    *field = *v->AsBool();
    return absl::OkStatus();
  };
  auto text_field = [&](absl::string_view key, std::string* field) -> absl::Status {
    const json::Value* v = doc->FindFold(key);
    if (v == nullptr || v->is_null()) return absl::OkStatus();
    if (!v->is_string()) return absl::InvalidArgumentError("CONNECT field of the wrong type");
    *field = *v->AsString();
    return absl::OkStatus();
  };
  for (auto [key, field] : {std::pair<absl::string_view, bool*>{"verbose", &out->verbose},
                            {"pedantic", &out->pedantic},
                            {"echo", &out->echo},
                            {"headers", &out->headers},
                            {"no_responders", &out->no_responders},
                            {"tls_required", &out->tls_required}}) {
    if (absl::Status s = flag(key, field); !s.ok()) return s;
  }
  for (auto [key, field] : {std::pair<absl::string_view, std::string*>{"name", &out->name},
                            {"lang", &out->lang},
                            {"version", &out->version},
                            {"user", &out->user},
                            {"pass", &out->pass},
                            {"auth_token", &out->auth_token},
                            {"nkey", &out->nkey},
                            {"jwt", &out->jwt},
                            {"sig", &out->sig}}) {
    if (absl::Status s = text_field(key, field); !s.ok()) return s;
  }
  if (const json::Value* v = doc->FindFold("protocol"); v != nullptr && !v->is_null()) {
    std::optional<int64_t> p = v->AsInt64();
    if (!p.has_value()) return absl::InvalidArgumentError("CONNECT protocol is not an integer");
    out->protocol = *p;
  }
  return absl::OkStatus();
}

}  // namespace meridian::frontend
