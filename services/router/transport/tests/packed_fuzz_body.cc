#include "services/router/transport/tests/packed_fuzz_body.h"

#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "services/router/transport/packed.h"

namespace meridian::router {

void PackedFuzzOne(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  PackedMessage m;
  bool malformed = false;
  while (NextPacked(&in, &m, &malformed)) {
    std::vector<std::string_view> queues;
    m.Queues(&queues);
    if (queues.size() != m.num_queues) std::abort();
    std::string again;
    AppendPacked(&again, m, queues);
    std::string_view view = again;
    PackedMessage back;
    bool bad = false;
    if (!NextPacked(&view, &back, &bad) || bad || !view.empty()) std::abort();
    std::vector<std::string_view> back_queues;
    back.Queues(&back_queues);
    if (back.account != m.account || back.subject != m.subject || back.reply != m.reply ||
        back.origin != m.origin || back.headers != m.headers || back.payload != m.payload ||
        back.deliver_as != m.deliver_as ||
        back.queue_choice != m.queue_choice || back_queues != queues) {
      std::abort();
    }
  }
  // Stopping early means the rest is not a whole record.
  if (!malformed && !in.empty()) std::abort();
}

}  // namespace meridian::router
