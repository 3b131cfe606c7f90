// Point-in-time copies of connection state for monitoring (/connz, /subsz,
// /varz). Each worker fills its part on its own loop thread, so no
// connection state is read across threads.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace meridian::frontend {

struct SubSnapshot {
  std::string subject, queue, sid;
  uint64_t cid = 0;
  uint64_t msgs = 0;
  uint64_t max = 0;
};

struct ConnSnapshot {
  uint64_t cid = 0;
  std::string ip;
  int port = 0;
  absl::Time start, last_activity;
  uint64_t pending_bytes = 0;
  uint64_t in_msgs = 0, out_msgs = 0, in_bytes = 0, out_bytes = 0;
  uint64_t num_subs = 0;
  std::string name, lang, version, user;
  std::vector<SubSnapshot> subs;  // filled when asked for
};

}  // namespace meridian::frontend
