#include "common/http/deferred.h"

#include <utility>

#include "common/http/connection.h"

namespace meridian::http {

Responder Response::Defer() {
  internal::Connection* connection = defer_hook.connection();
  return connection != nullptr ? connection->Defer() : Responder();
}

void Responder::Complete(Response response) const {
  if (state_ != nullptr) state_->Complete(std::move(response));
}

namespace internal {

ResponderState::~ResponderState() {
  if (slot_->Claim()) slot_->queue->Post(slot_, Response(), /*abandoned=*/true);
}

void ResponderState::Complete(Response response) {
  if (slot_->Claim()) slot_->queue->Post(slot_, std::move(response), /*abandoned=*/false);
}

std::shared_ptr<CompletionQueue> CompletionQueue::Create(uv_loop_t* loop) {
  std::shared_ptr<CompletionQueue> queue(new CompletionQueue());
  auto* async = new uv_async_t;
  uv_async_init(loop, async, OnAsync);
  async->data = queue.get();
  std::lock_guard<std::mutex> lock(queue->mu_);
  queue->async_ = async;
  return queue;
}

void CompletionQueue::Post(std::shared_ptr<DeferredSlot> slot, Response response, bool abandoned) {
  Item item{std::move(slot), std::move(response), abandoned};
  std::lock_guard<std::mutex> lock(mu_);
  if (async_ == nullptr) return;  // `item` is destroyed after the lock is released
  items_.push_back(std::move(item));
  // Under the lock, so Shutdown cannot close the handle in between.
  uv_async_send(async_);
}

void CompletionQueue::Shutdown() {
  std::vector<Item> dropped;
  std::lock_guard<std::mutex> lock(mu_);
  if (async_ == nullptr) return;
  dropped.swap(items_);
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* handle) { delete reinterpret_cast<uv_async_t*>(handle); });
  async_ = nullptr;
  // `dropped` is destroyed after the lock is released (declared before it).
}

void CompletionQueue::OnAsync(uv_async_t* async) {
  // A handler run while resuming a connection may close or destroy the Server.
  std::shared_ptr<CompletionQueue> self = static_cast<CompletionQueue*>(async->data)->shared_from_this();
  std::vector<Item> items;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    items.swap(self->items_);
  }
  for (Item& item : items) {
    Connection* connection = item.slot->connection;
    if (connection != nullptr) {
      connection->FinishDeferred(item.slot.get(), std::move(item.response), item.abandoned);
    }
  }
}

}  // namespace internal
}  // namespace meridian::http
