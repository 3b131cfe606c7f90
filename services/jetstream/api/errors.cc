#include "services/jetstream/api/errors.h"

#include <algorithm>
#include <cassert>

namespace meridian::jetstream::api {
namespace {

const std::vector<ErrorInfo>& Table() {
  static const std::vector<ErrorInfo>* table = new std::vector<ErrorInfo>{
#define JS_ERROR(id, code, err_code, description, origin) \
  ErrorInfo{ErrorId::id, #id, code, err_code, description, ErrorOrigin::origin},
#include "services/jetstream/api/errors.def"
#undef JS_ERROR
  };
  return *table;
}

}  // namespace

const ErrorInfo& Lookup(ErrorId id) {
  const auto& table = Table();
  size_t index = static_cast<size_t>(id);
  assert(index < table.size());
  return table[index];
}

const std::vector<ErrorInfo>& AllErrors() { return Table(); }

std::optional<ErrorId> FindByErrCode(uint16_t err_code) {
  const auto& table = Table();
  auto it = std::lower_bound(table.begin(), table.end(), err_code,
                             [](const ErrorInfo& e, uint16_t c) { return e.err_code < c; });
  if (it == table.end() || it->err_code != err_code) return std::nullopt;
  return it->id;
}

ApiError MakeWithArgs(ErrorId id, const std::vector<std::string>& args) {
  const ErrorInfo& info = Lookup(id);
  ApiError error;
  error.code = info.code;
  error.err_code = info.err_code;
  absl::string_view tmpl = info.description;
  size_t next_arg = 0;
  std::string& out = error.description;
  out.reserve(tmpl.size() + 16);
  size_t pos = 0;
  while (pos < tmpl.size()) {
    size_t open = tmpl.find('{', pos);
    if (open == absl::string_view::npos) break;
    size_t close = tmpl.find('}', open + 1);
    if (close == absl::string_view::npos) break;
    out.append(tmpl.data() + pos, open - pos);
    if (next_arg < args.size()) {
      out.append(args[next_arg++]);
    } else {
      out.append(tmpl.data() + open, close + 1 - open);
    }
    pos = close + 1;
  }
  out.append(tmpl.data() + pos, tmpl.size() - pos);
  return error;
}

bool Is(const ApiError& error, ErrorId id) { return error.err_code == Lookup(id).err_code; }

void WriteApiError(json::Writer& w, const ApiError& error) {
  w.BeginObject();
  w.MemberInt("code", error.code);
  if (error.err_code != 0) w.MemberUint("err_code", error.err_code);
  if (!error.description.empty()) w.Member("description", error.description);
  w.EndObject();
}

}  // namespace meridian::jetstream::api
