#include "services/frontend/frontend.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/version/version.h"

namespace meridian::frontend {
namespace {

// Writes `data` to the stream, then closes it; frees everything.
void WriteAndClose(uv_tcp_t* client, std::string data) {
  struct Req {
    uv_write_t write;
    std::string data;
  };
  auto* req = new Req{{}, std::move(data)};
  uv_buf_t buf = uv_buf_init(req->data.data(), static_cast<unsigned>(req->data.size()));
  int rc = uv_write(&req->write, reinterpret_cast<uv_stream_t*>(client), &buf, 1,
                    [](uv_write_t* w, int) {
                      auto* r = reinterpret_cast<Req*>(w);
                      uv_close(reinterpret_cast<uv_handle_t*>(w->handle),
                               [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
                      delete r;
                    });
  if (rc != 0) {
    delete req;
    uv_close(reinterpret_cast<uv_handle_t*>(client),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
  }
}

std::string DisplayHost(const std::string& host) {
  return host == "0.0.0.0" || host == "::" ? "127.0.0.1" : host;
}

// One HTTP request read until the end of its headers, then answered.
struct HttpConn {
  uv_tcp_t* tcp;
  std::string in;
};

std::string HttpResponse(int code, absl::string_view reason, absl::string_view type,
                         absl::string_view body) {
  return absl::StrCat("HTTP/1.1 ", code, " ", reason, "\r\nContent-Type: ", type,
                      "\r\nAccess-Control-Allow-Origin: *\r\nContent-Length: ", body.size(),
                      "\r\nConnection: close\r\n\r\n", body);
}

std::string Route(absl::string_view request_line) {
  // "GET /healthz?x HTTP/1.1"
  absl::string_view path = request_line;
  if (size_t sp = path.find(' '); sp != absl::string_view::npos) path = path.substr(sp + 1);
  if (size_t sp = path.find(' '); sp != absl::string_view::npos) path = path.substr(0, sp);
  if (size_t q = path.find('?'); q != absl::string_view::npos) path = path.substr(0, q);
  if (path == "/healthz") return HttpResponse(200, "OK", "application/json", "{\"status\":\"ok\"}");
  return HttpResponse(501, "Not Implemented", "text/plain",
                      absl::StrCat("Meridian: monitoring endpoint ", path,
                                   " is not implemented yet\n"));
}

}  // namespace

Frontend::Frontend(FrontendOptions options, std::string server_id)
    : options_(std::move(options)), server_id_(std::move(server_id)) {}

Frontend::~Frontend() { Stop(); }

absl::Status Frontend::Start() {
  client_listener_ = std::make_unique<TcpListener>(loop_.loop(), [this](uv_tcp_t* c) { OnClient(c); });
  if (absl::Status s = client_listener_->Listen(options_.client_listen); !s.ok()) return s;
  if (!options_.http_listen.empty()) {
    http_listener_ = std::make_unique<TcpListener>(loop_.loop(), [this](uv_tcp_t* c) { OnHttp(c); });
    if (absl::Status s = http_listener_->Listen(options_.http_listen); !s.ok()) {
      client_listener_->Close();
      return s;
    }
  }
  loop_.Start(nullptr);
  MLOG_INFO("listening for client connections on ", client_listener_->host(), ":",
            client_listener_->port());
  return absl::OkStatus();
}

void Frontend::Stop() {
  loop_.Stop([this] {
    if (client_listener_) client_listener_->Close();
    if (http_listener_) http_listener_->Close();
  });
}

std::map<std::string, std::string> Frontend::Endpoints() const {
  std::map<std::string, std::string> out;
  if (client_listener_) {
    out["client"] = absl::StrCat("nats://", DisplayHost(client_listener_->host()), ":",
                                 client_listener_->port());
  }
  if (http_listener_) {
    out["monitoring"] = absl::StrCat("http://", DisplayHost(http_listener_->host()), ":",
                                     http_listener_->port());
  }
  return out;
}

std::string Frontend::InfoJson() const {
  return absl::StrCat("{\"server_id\":\"", server_id_, "\",\"server_name\":\"",
                      options_.server_name, "\",\"version\":\"", kNatsCompatVersion,
                      "\",\"proto\":1,\"go\":\"meridian\",\"host\":\"", client_listener_->host(),
                      "\",\"port\":", client_listener_->port(),
                      ",\"headers\":true,\"max_payload\":1048576}");
}

void Frontend::OnClient(uv_tcp_t* client) {
  WriteAndClose(client, absl::StrCat("INFO ", InfoJson(), " \r\n",
                                     "-ERR 'Meridian: the core NATS protocol is not implemented "
                                     "yet'\r\n"));
}

void Frontend::OnHttp(uv_tcp_t* client) {
  auto* conn = new HttpConn{client, {}};
  client->data = conn;
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(client),
      [](uv_handle_t*, size_t suggested, uv_buf_t* buf) {
        buf->base = new char[suggested];
        buf->len = suggested;
      },
      [](uv_stream_t* stream, ssize_t n, const uv_buf_t* buf) {
        auto* conn = static_cast<HttpConn*>(stream->data);
        if (n > 0) conn->in.append(buf->base, static_cast<size_t>(n));
        delete[] buf->base;
        bool complete = conn->in.find("\r\n\r\n") != std::string::npos;
        if (n < 0 || complete || conn->in.size() > 16384) {
          uv_read_stop(stream);
          std::string line = conn->in.substr(0, conn->in.find("\r\n"));
          uv_tcp_t* tcp = conn->tcp;
          delete conn;
          tcp->data = nullptr;
          if (n < 0 && !complete) {
            uv_close(reinterpret_cast<uv_handle_t*>(tcp),
                     [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
            return;
          }
          WriteAndClose(tcp, Route(line));
        }
      });
}

}  // namespace meridian::frontend
