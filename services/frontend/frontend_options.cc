#include "services/frontend/frontend_options.h"

namespace meridian::frontend {

void FrontendOptions::Register(options::OptionSet& set) {
  set.String({"client_listen"}, &client_listen, "host:port for NATS client connections");
  set.String({"http_listen"}, &http_listen, "host:port for HTTP monitoring (empty: off)");
  set.String({"http_base_path"}, &http_base_path, "Prefix of every monitoring path");
  set.String({"router"}, &router, "Router gRPC addresses, comma-separated: the first is preferred, the others are failover targets (empty: run alone)");
  set.String({"auth_service"}, &auth_service, "gRPC address of the auth service");
  set.String({"server_name"}, &server_name, "server_name reported to clients in INFO");
  set.Bool({"jetstream"}, &jetstream, "Advertise JetStream to clients");
  set.String({"jetstream_service"}, &jetstream_service,
             "gRPC address of meridian-jetstream, asked for /jsz and /varz's \"jetstream\"");
  set.Size({"direct_get_cache"}, &direct_get.max_bytes,
           "Bytes of JetStream direct-get answers (KV get) kept and answered here (0: off; "
           "needs --jetstream and --router; exact only while this is the only frontend, "
           "which is when meridian-server turns it on)");
  set.Duration({"direct_get_cache_ttl"}, &direct_get.ttl,
               "Longest a cached direct-get answer is served without a new read");
  set.String({"user"}, &user, "User required for connections");
  set.String({"pass"}, &pass, "Password required for connections");
  set.String({"auth"}, &auth_token, "Token required for connections").ConfigKey("auth_token");
  set.Int({"loops"}, &loops, "Event loops (threads) for client connections; 0 = one per core");
  set.Bool({"router_thread"}, &router_thread,
           "Run the router link's gRPC stream on a thread of its own instead of on the first "
           "event loop (one more hand-off per message each way)");
  set.Size({"max_payload"}, &limits.max_payload, "Largest message payload accepted");
  set.Int({"max_control_line"}, &limits.max_control_line, "Longest protocol control line");
  set.Int({"max_connections"}, &limits.max_connections, "Most client connections");
  set.Int({"max_subscriptions"}, &limits.max_subscriptions,
          "Most subscriptions per connection (0: unlimited)");
  set.Size({"max_pending"}, &limits.max_pending,
           "Outbound bytes pending per connection before it is closed as a slow consumer");
  set.Duration({"ping_interval"}, &limits.ping_interval, "Interval between server PINGs");
  set.Int({"ping_max"}, &limits.ping_max, "Unanswered PINGs before 'Stale Connection'");
  set.Duration({"write_deadline"}, &limits.write_deadline,
               "A blocked write older than this closes the connection as a slow consumer");
  set.Duration({"auth_timeout"}, &limits.auth_timeout, "Time allowed to send CONNECT when auth is required");
  set.Duration({"lame_duck_duration"}, &limits.lame_duck_duration, "Lame duck mode duration");
  set.Duration({"lame_duck_grace_period"}, &limits.lame_duck_grace_period,
               "Lame duck grace period before clients are closed");
}

}  // namespace meridian::frontend
