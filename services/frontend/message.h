// A message being delivered: views into the publisher's read buffer (or a
// cross-loop batch), valid for the duration of the delivery call.
#pragma once

#include <cstdint>
#include <string_view>

namespace meridian::frontend {

struct Message {
  std::string_view subject;
  std::string_view reply;
  std::string_view headers;  // the NATS/1.0 block, empty for PUB
  std::string_view payload;
  uint64_t publisher_cid = 0;
  bool publisher_echo = true;
};

}  // namespace meridian::frontend
