#include "services/router/transport/outbox.h"

#include <utility>
#include <vector>

#include "google/protobuf/io/coded_stream.h"

namespace meridian::router {
namespace {

using ::meridian::router::v1::Frame;

constexpr size_t kMaxFreeFrames = 4;

// Whether `next` may be appended to `tail` without changing what a receiver
// sees, whatever order it applies a Frame's interest and messages in.
bool Mergeable(const Frame& tail, const Frame& next) {
  if (next.has_hello() || next.interest_reset() || tail.has_hello()) return false;
  if (next.has_cluster()) return false;  // only messages and interest are merged
  const bool tail_messages = !tail.messages().empty() || !tail.packed().empty();
  const bool next_messages = !next.messages().empty() || !next.packed().empty();
  if (tail_messages && !next.interest().empty()) return false;
  if (!tail.interest().empty() && next_messages) return false;
  return true;
}

// Serialized size of field elements [start, size) inside their Frame.
template <typename T>
size_t ElementBytes(const google::protobuf::RepeatedPtrField<T>& field, int start) {
  size_t total = 0;
  for (int i = start; i < field.size(); ++i) {
    const size_t size = field.Get(i).ByteSizeLong();
    total += 1 + google::protobuf::io::CodedOutputStream::VarintSize64(size) + size;
  }
  return total;
}

// Moves elements [start, size) of `from` to the end of `to` (no copies).
template <typename T>
void MoveElements(google::protobuf::RepeatedPtrField<T>* from, int start,
                  google::protobuf::RepeatedPtrField<T>* to) {
  const int count = from->size() - start;
  if (count <= 0) return;
  std::vector<T*> elements(count);
  from->ExtractSubrange(start, count, elements.data());
  for (T* element : elements) to->AddAllocated(element);
}

}  // namespace

bool Outbox::FitsLocked(size_t bytes, bool new_frame) {
  if (queued_bytes_ + bytes <= limits_.max_bytes &&
      (!new_frame || queue_.size() < limits_.max_frames)) {
    return true;
  }
  OverflowLocked();
  return false;
}

void Outbox::OverflowLocked() {
  ++stats_.overflows;
  const absl::Time now = absl::Now();
  if (stalled_since_ == absl::InfiniteFuture()) {
    stalled_since_ = now;
  } else if (!stall_cancelled_ && now - stalled_since_ >= limits_.stall_timeout &&
             waker_ != nullptr) {
    stall_cancelled_ = true;
    ++stats_.stall_cancels;
    waker_->Cancel();
  }
}

void Outbox::AcceptedLocked(size_t bytes, int messages) {
  queued_bytes_ += bytes;
  ++stats_.frames_enqueued;
  stats_.messages_enqueued += messages;
  MaybeWakeLocked();
}

std::unique_ptr<Frame> Outbox::NewFrameLocked() {
  if (free_.empty()) return std::make_unique<Frame>();
  std::unique_ptr<Frame> frame = std::move(free_.back());
  free_.pop_back();
  return frame;
}

bool Outbox::PushScratchLocked() {
  const size_t bytes = scratch_.ByteSizeLong();
  if (!FitsLocked(bytes, /*new_frame=*/true)) {
    scratch_.Clear();
    return false;
  }
  const int messages = scratch_.messages_size();
  std::unique_ptr<Frame> frame = NewFrameLocked();
  frame->Swap(&scratch_);  // scratch_ gets the recycled (cleared) Frame
  queue_.push_back(Entry{std::move(frame), bytes});
  AcceptedLocked(bytes, messages);
  return true;
}

void Outbox::MaybeWakeLocked() {
  if (!writing_ && !wake_sent_ && waker_ != nullptr) {
    wake_sent_ = true;
    wake_due_ = true;
  }
}

OutboxWaker* Outbox::ClaimWakeLocked() {
  if (!wake_due_) return nullptr;
  wake_due_ = false;
  ++wakes_in_flight_;
  return waker_;
}

// Waking the stream thread while holding mu_ made it preempt the producer
// only to block on mu_ (two extra context switches per message on one CPU):
// the wake-up is sent after the lock is released, and Close waits for it.
void Outbox::WakeUnlocked(OutboxWaker* waker) {
  if (waker == nullptr) return;
  waker->Wake();
  std::lock_guard<std::mutex> lock(mu_);
  if (--wakes_in_flight_ == 0) wakes_done_.notify_all();
}

template <class What>
bool Outbox::EnqueueThenWake(const What& what) {
  OutboxWaker* waker = nullptr;
  bool accepted = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    accepted = EnqueueLocked(what);
    waker = ClaimWakeLocked();
  }
  WakeUnlocked(waker);
  return accepted;
}

bool Outbox::Enqueue(const Frame& frame) { return EnqueueThenWake(frame); }

bool Outbox::Enqueue(absl::FunctionRef<void(Frame*)> build) { return EnqueueThenWake(build); }

bool Outbox::EnqueueLocked(const Frame& frame) {
  if (!open_) {
    ++stats_.dropped;
    return false;
  }
  const size_t bytes = frame.ByteSizeLong();
  if (!queue_.empty() && Mergeable(*queue_.back().frame, frame) &&
      queue_.back().bytes + bytes <= limits_.max_frame_bytes) {
    if (!FitsLocked(bytes, /*new_frame=*/false)) return false;
    Entry& tail = queue_.back();
    tail.frame->mutable_messages()->MergeFrom(frame.messages());
    tail.frame->mutable_interest()->MergeFrom(frame.interest());
    tail.frame->mutable_packed()->append(frame.packed());
    tail.bytes += bytes;
    AcceptedLocked(bytes, frame.messages_size());
    return true;
  }
  scratch_.CopyFrom(frame);
  return PushScratchLocked();
}

bool Outbox::EnqueueLocked(absl::FunctionRef<void(Frame*)> build) {
  if (!open_) {
    ++stats_.dropped;
    return false;
  }
  // Already full: refuse before building anything.
  if (queued_bytes_ >= limits_.max_bytes ||
      (queue_.size() >= limits_.max_frames &&
       queue_.back().bytes >= limits_.max_frame_bytes)) {
    OverflowLocked();
    return false;
  }
  if (queue_.empty() || queue_.back().frame->has_hello() ||
      queue_.back().bytes >= limits_.max_frame_bytes) {
    scratch_.Clear();
    build(&scratch_);
    return PushScratchLocked();
  }
  // Build straight into the last queued Frame (no copy), then check that
  // what was added may stay there.
  Entry& tail = queue_.back();
  Frame* frame = tail.frame.get();
  const int messages_before = frame->messages_size();
  const int interest_before = frame->interest_size();
  const bool reset_before = frame->interest_reset();
  const size_t packed_before = frame->packed().size();
  build(frame);
  const int added_messages = frame->messages_size() - messages_before;
  const int added_interest = frame->interest_size() - interest_before;
  const size_t added_packed = frame->packed().size() - packed_before;
  const bool had_messages = messages_before > 0 || packed_before > 0;
  const bool adds_messages = added_messages > 0 || added_packed > 0;
  const bool mergeable = !frame->has_hello() && frame->interest_reset() == reset_before &&
                         (!had_messages || added_interest == 0) &&
                         (interest_before == 0 || !adds_messages);
  if (mergeable) {
    // Packed bytes: their length, plus the field's tag and length prefix
    // when the field was empty (an upper bound of the varint).
    const size_t bytes = ElementBytes(frame->messages(), messages_before) +
                         ElementBytes(frame->interest(), interest_before) + added_packed +
                         (packed_before == 0 && added_packed > 0 ? 6 : 0);
    if (tail.bytes + bytes <= limits_.max_frame_bytes) {
      if (!FitsLocked(bytes, /*new_frame=*/false)) {
        for (int i = 0; i < added_messages; ++i) frame->mutable_messages()->RemoveLast();
        for (int i = 0; i < added_interest; ++i) frame->mutable_interest()->RemoveLast();
        frame->mutable_packed()->resize(packed_before);
        return false;
      }
      tail.bytes += bytes;
      AcceptedLocked(bytes, added_messages);
      return true;
    }
  }
  // Move what `build` added into a Frame of its own.
  scratch_.Clear();
  MoveElements(frame->mutable_messages(), messages_before, scratch_.mutable_messages());
  MoveElements(frame->mutable_interest(), interest_before, scratch_.mutable_interest());
  if (added_packed > 0) {
    scratch_.set_packed(frame->packed().substr(packed_before));
    frame->mutable_packed()->resize(packed_before);
  }
  if (frame->has_hello()) {
    scratch_.mutable_hello()->Swap(frame->mutable_hello());
    frame->clear_hello();
  }
  if (frame->interest_reset() != reset_before) {
    scratch_.set_interest_reset(frame->interest_reset());
    frame->set_interest_reset(reset_before);
  }
  return PushScratchLocked();
}

void Outbox::Open(OutboxWaker* waker) {
  std::lock_guard<std::mutex> lock(mu_);
  if (sealed_) return;
  open_ = true;
  waker_ = waker;
  writing_ = false;
  wake_sent_ = false;
  stalled_since_ = absl::InfiniteFuture();
  stall_cancelled_ = false;
}

void Outbox::Close() {
  std::unique_lock<std::mutex> lock(mu_);
  CloseLocked(lock);
}

void Outbox::CloseLocked(std::unique_lock<std::mutex>& lock) {
  wakes_done_.wait(lock, [this] { return wakes_in_flight_ == 0; });
  wake_due_ = false;
  open_ = false;
  waker_ = nullptr;
  for (Entry& entry : queue_) {
    ++stats_.dropped;
    entry.frame->Clear();
    if (free_.size() < kMaxFreeFrames) free_.push_back(std::move(entry.frame));
  }
  queue_.clear();
  queued_bytes_ = 0;
}

void Outbox::Seal() {
  std::unique_lock<std::mutex> lock(mu_);
  CloseLocked(lock);
  sealed_ = true;
}

void Outbox::CancelStream() {
  std::lock_guard<std::mutex> lock(mu_);
  if (waker_ != nullptr) waker_->Cancel();
}

bool Outbox::is_open() const {
  std::lock_guard<std::mutex> lock(mu_);
  return open_;
}

std::unique_ptr<Frame> Outbox::TakeNext() {
  std::unique_ptr<Frame> frame;
  bool drained = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    wake_sent_ = false;
    last_progress_ = absl::Now();  // called when a write completed (or the stream idles)
    if (drain_watch_ && queued_bytes_ <= limits_.max_bytes / 4) {
      drain_watch_ = false;
      drained = true;
    }
    if (queue_.empty()) {
      writing_ = false;
    } else {
      Entry entry = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= entry.bytes;
      writing_ = true;
      stalled_since_ = absl::InfiniteFuture();  // the peer makes progress
      ++stats_.writes;
      stats_.messages_written += entry.frame->messages_size();
      stats_.bytes_written += entry.bytes;
      frame = std::move(entry.frame);
    }
  }
  if (drained && on_drain_) on_drain_();
  return frame;
}

absl::Time Outbox::last_progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  return last_progress_;
}

void Outbox::WatchDrain() {
  std::lock_guard<std::mutex> lock(mu_);
  drain_watch_ = true;
}

void Outbox::Kick() {
  OutboxWaker* waker = nullptr;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (open_ && waker_ != nullptr) {
      ++wakes_in_flight_;
      waker = waker_;
    }
  }
  WakeUnlocked(waker);
}

void Outbox::Recycle(std::unique_ptr<Frame> frame) {
  if (frame == nullptr) return;
  frame->Clear();  // keeps the allocated messages for reuse
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.size() < kMaxFreeFrames) free_.push_back(std::move(frame));
}

void Outbox::CountReceived(const Frame& frame) {
  std::lock_guard<std::mutex> lock(mu_);
  ++stats_.frames_received;
  stats_.messages_received += frame.messages_size();
}

TransportStats Outbox::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

size_t Outbox::queued_frames() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

size_t Outbox::queued_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return queued_bytes_;
}

}  // namespace meridian::router
