// Connection: parking a request whose handler deferred its answer, and
// resuming when the answer (or the deferred timeout) comes.
#include <utility>

#include "common/http/connection.h"
#include "common/http/deferred.h"
#include "common/http/server.h"

namespace meridian::http::internal {

Responder Connection::Defer() {
  if (!in_handler_ || closing_ || server_ == nullptr) return Responder();
  if (parked_.has_value()) {
    // Again in the same handler: the same answer (invalid if every copy of
    // the first Responder is already gone and the 500 decided).
    return Responder(parked_->responder.lock());
  }
  auto slot = std::make_shared<DeferredSlot>(server_->Completions(), this);
  auto state = std::make_shared<ResponderState>(slot);
  parked_ = Parked{std::move(slot), state, handling_, Now()};
  ++server_->stats_.deferred;
  return Responder(std::move(state));
}

void Connection::Unpark() {
  if (!parked_.has_value()) return;
  parked_->slot->Claim();  // later Complete() calls and the last Responder do nothing
  parked_->slot->connection = nullptr;
  parked_.reset();
}

void Connection::FinishDeferred(DeferredSlot* slot, Response response, bool abandoned) {
  if (closing_ || !parked_.has_value() || parked_->slot.get() != slot) return;
  const ResponseFraming framing = parked_->framing;
  Unpark();
  if (abandoned) {
    response = Response();
    response.SetText("500 Internal Server Error", 500);
    ++server_->stats_.bad_requests;
  }
  std::string out;
  Frame(response, framing, &out);
  if (!framing.keep_alive) last_response_queued_ = true;
  request_since_ = Now();  // the read timeout did not run while parked
  ProcessInput(std::move(out));
}

void Connection::TimeOutDeferred() {
  ResponseFraming framing = parked_->framing;
  framing.keep_alive = false;
  Unpark();
  Response response;
  response.SetText("504 Gateway Timeout", 504);
  ++server_->stats_.timeouts;
  ++server_->stats_.bad_requests;
  std::string out;
  Frame(response, framing, &out);
  last_response_queued_ = true;  // then FIN, as after any error
  ProcessInput(std::move(out));
}

}  // namespace meridian::http::internal
