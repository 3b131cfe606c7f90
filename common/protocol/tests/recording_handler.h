// A parser handler for tests: records every callback as an Event (copying
// the views, so ASan notices a view that outlives its buffer) and checks
// that views lie inside an expected range when asked to.
#ifndef MERIDIAN_COMMON_PROTOCOL_TESTS_RECORDING_HANDLER_H_
#define MERIDIAN_COMMON_PROTOCOL_TESTS_RECORDING_HANDLER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace meridian::protocol::testing {

struct Event {
  std::string op;
  std::vector<std::string> fields;

  bool operator==(const Event& other) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Event& e) {
  os << e.op;
  for (const std::string& f : e.fields) {
    os << " [";
    for (char c : f) {
      if (c == '\r') {
        os << "\\r";
      } else if (c == '\n') {
        os << "\\n";
      } else if (static_cast<unsigned char>(c) < 0x20 ||
                 static_cast<unsigned char>(c) >= 0x7f) {
        os << "\\x" << std::hex << (static_cast<unsigned>(c) & 0xff)
           << std::dec;
      } else {
        os << c;
      }
    }
    os << "]";
  }
  return os;
}

inline Event Ev(std::string op, std::vector<std::string> fields = {}) {
  return Event{std::move(op), std::move(fields)};
}

class RecordingHandler {
 public:
  // Callbacks return false (stop) once `stop_after` events were recorded.
  std::optional<size_t> stop_after;
  // When set, every view must lie inside [range_begin, range_end).
  const char* range_begin = nullptr;
  const char* range_end = nullptr;
  // Set when a view was outside the range.
  bool view_outside_range = false;

  std::vector<Event> events;

  bool OnConnect(std::string_view json) { return Add("CONNECT", {json}); }
  bool OnInfo(std::string_view json) { return Add("INFO", {json}); }
  bool OnPub(std::string_view subject, std::string_view reply,
             std::string_view payload) {
    return Add("PUB", {subject, reply, payload});
  }
  bool OnHpub(std::string_view subject, std::string_view reply,
              std::string_view headers, std::string_view payload) {
    return Add("HPUB", {subject, reply, headers, payload});
  }
  bool OnSub(std::string_view subject, std::string_view queue,
             std::string_view sid) {
    return Add("SUB", {subject, queue, sid});
  }
  bool OnUnsub(std::string_view sid, std::optional<uint64_t> max) {
    std::string m = max.has_value() ? std::to_string(*max) : "-";
    return Add("UNSUB", {sid, m}, 1);
  }
  bool OnPing() { return Add("PING", {}); }
  bool OnPong() { return Add("PONG", {}); }
  bool OnOk() { return Add("+OK", {}); }
  bool OnErr(std::string_view text) { return Add("-ERR", {text}); }
  bool OnMsg(std::string_view subject, std::string_view sid,
             std::string_view reply, std::string_view headers,
             std::string_view payload) {
    return Add("MSG", {subject, sid, reply, headers, payload});
  }

 private:
  // The first `checked` fields (all when 0) are views to range-check.
  bool Add(const char* op, std::initializer_list<std::string_view> fields,
           size_t checked = 0) {
    Event e;
    e.op = op;
    size_t n = 0;
    for (std::string_view f : fields) {
      if (range_begin != nullptr && (checked == 0 || n < checked) &&
          !f.empty() &&
          (f.data() < range_begin || f.data() + f.size() > range_end)) {
        view_outside_range = true;
      }
      e.fields.emplace_back(f);
      ++n;
    }
    events.push_back(std::move(e));
    return !stop_after.has_value() || events.size() < *stop_after;
  }
};

}  // namespace meridian::protocol::testing

#endif  // MERIDIAN_COMMON_PROTOCOL_TESTS_RECORDING_HANDLER_H_
