#include "quire/server/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <future>
#include <iostream>
#include <limits>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "quire/server/json.h"

namespace quire::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// After an error response the connection is closed; what the client is still sending is
// read and dropped for this long (and up to kDrainBytes) first, so that the close does not
// reset the connection before the client has read the response.
constexpr std::chrono::seconds kDrainTime{2};
constexpr std::size_t kDrainBytes = std::size_t{1} << 20;

// What the server keeps of each connection: enough to close it at shutdown.
class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // Closes the connection unless a request is being handled or answered.
  virtual void CloseIfIdle() = 0;
};

class Listener;

// State shared by the listener and all sessions. Owned by HttpServer::Impl.
struct ServerCore {
  ServerCore(Router r, const HttpServerOptions& o)
      : router(std::move(r)),
        options(o),
        handlers(std::max<std::size_t>(1, o.handler_threads)),
        slow_handlers(std::max<std::size_t>(1, o.slow_threads)) {}

  // Runs `fn` on `pool` (the one the request's route asks for). Work for the slow pool beyond
  // options.max_slow_queue is refused: `fn` gets false and must answer 503 itself.
  template <class Fn>
  void Post(Pool pool, Fn fn) {
    if (pool != Pool::kSlow) {
      net::post(handlers, [fn = std::move(fn)]() mutable { fn(true); });
      return;
    }
    if (slow_queued.fetch_add(1) >= options.max_slow_queue) {
      slow_queued.fetch_sub(1);
      net::post(handlers, [fn = std::move(fn)]() mutable { fn(false); });
      return;
    }
    net::post(slow_handlers, [this, fn = std::move(fn)]() mutable {
      slow_queued.fetch_sub(1);
      fn(true);
    });
  }

  void StartSession(tcp::socket socket);
  void Forget(SessionBase* session);
  // Registers a session and starts it (answering 503 at the connection limit or shutdown).
  template <class S>
  void Register(const std::shared_ptr<S>& session);
  void BeginShutdown();

  const Router router;
  const HttpServerOptions options;

  std::mutex mu;
  std::condition_variable changed;
  std::unordered_map<SessionBase*, std::weak_ptr<SessionBase>> sessions;  // GUARDED_BY(mu)
  // Set: every connection speaks TLS (a plain-HTTP request is answered 400 and closed).
  std::optional<net::ssl::context> tls;
  bool stopping = false;                               // GUARDED_BY(mu)
  std::chrono::steady_clock::time_point stop_started;  // GUARDED_BY(mu)
  std::atomic<bool> stopping_flag{false};  // the same as `stopping`, read without the lock

  // Declared after the registry above, so destroyed before it: sessions still held by
  // queued work unregister themselves while the registry exists.
  net::io_context ioc;
  std::shared_ptr<Listener> listener;
  net::thread_pool handlers;
  net::thread_pool slow_handlers;
  std::atomic<std::size_t> slow_queued{0};
};

// Too much slow work queued (a burst of sign-ins): answered at once instead of queued.
Response SlowPoolFull() {
  Response r = ErrorResponse(Error::Unavailable(
      "too many requests of this kind are waiting (sign-ins are deliberately slow); try again "
      "in a moment"));
  r.headers.push_back({"Retry-After", "1"});
  return r;
}

// Headers every response carries: no content sniffing, no referrer leaving the site, and
// for API answers no content of any kind may load or frame them.
template <class Message>
void SetStandardHeaders(Message& res, bool tls) {
  res.set(http::field::server, "Quire");
  // Browsers that once came over TLS never try plain HTTP again for a year.
  if (tls) res.set(http::field::strict_transport_security, "max-age=31536000");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "no-referrer");
  if (res.find("Content-Security-Policy") == res.end()) {
    res.set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  }
}

bool IsHttpParseError(const beast::error_code& ec) {
  return &ec.category() == &http::make_error_code(http::error::bad_method).category();
}

// One connection, over a plain TCP stream or a TLS one (Stream: beast::tcp_stream or
// beast::ssl_stream<beast::tcp_stream>).
template <class Stream>
class Session final : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  // `buffer`: bytes read already (while detecting TLS). `args` make the stream.
  template <class... Args>
  Session(ServerCore& core, beast::flat_buffer buffer, Args&&... args)
      : core_(core), stream_(std::forward<Args>(args)...), buffer_(std::move(buffer)) {
    beast::error_code ec;
    const tcp::endpoint peer = Lowest().socket().remote_endpoint(ec);
    if (!ec) remote_ = peer.address().to_string();
  }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  ~Session() { core_.Forget(this); }

  // `reject`: answer 503 and close instead of reading requests.
  void Start(bool reject) {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this(), reject] {
      if (reject) {
        self->SendErrorAndClose(503, "unavailable",
                                "the server is at its connection limit or shutting down; "
                                "retry shortly");
      } else if constexpr (kTls) {
        self->Lowest().expires_after(self->core_.options.read_timeout);
        self->stream_.async_handshake(
            net::ssl::stream_base::server, self->buffer_.data(),
            // The default argument satisfies Beast 1.81's constraint, which checks the wrong
            // signature.
            [self](beast::error_code ec, std::size_t used = 0) {
              if (ec) return self->Lowest().close();  // not TLS, or a failed handshake
              self->buffer_.consume(used);
              self->ReadHeader();
            });
      } else {
        self->ReadHeader();
      }
    });
  }

  void CloseIfIdle() override {
    net::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->Close();
    });
  }

 private:
  void ReadHeader() {
    if (core_.stopping_flag) {
      Close();
      return;
    }
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.max_header_bytes));
    // No body limit while the header is read: a streaming route takes bodies of any size.
    // The limit is applied once the route is known (OnHeader).
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    Lowest().expires_after(core_.options.read_timeout);
    http::async_read_header(
        stream_, buffer_, *parser_,
        beast::bind_front_handler(&Session<Stream>::OnHeader, this->shared_from_this()));
  }

  void OnHeader(beast::error_code ec, std::size_t) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    const auto& header = parser_->get();
    if (header.version() != 10 && header.version() != 11) {
      SendErrorAndClose(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
      return;
    }
    const std::string target(header.target());
    const bool streaming = core_.router.IsStreaming(
        header.method() == http::verb::head ? "GET" : std::string(header.method_string()),
        target.substr(0, target.find('?')));
    if (!streaming) {
      if (const auto length = parser_->content_length();
          length && *length > core_.options.max_body_bytes) {
        OnReadError(http::error::body_limit);
        return;
      }
      parser_->body_limit(core_.options.max_body_bytes);
    }
    if (beast::iequals(header[http::field::expect], "100-continue")) {
      auto proceed =
          std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(stream_, *proceed,
                        [self = this->shared_from_this(), proceed, streaming](beast::error_code wec,
                                                                              std::size_t) {
                          if (wec) {
                            self->Close();
                          } else if (streaming) {
                            self->HandleStreaming();
                          } else {
                            self->ReadBody();
                          }
                        });
      return;
    }
    if (streaming) {
      HandleStreaming();
    } else {
      ReadBody();
    }
  }

  // A streaming route: the handler runs on a handler thread and reads the body as it
  // arrives; each read (and each write of a streamed response) is an async operation on
  // this session's strand that the handler waits for, so timeouts apply as to any other.
  void HandleStreaming() {
    busy_ = true;
    const auto& header = parser_->get();
    const bool keep_alive = header.keep_alive();
    const unsigned version = header.version();
    const bool head = header.method() == http::verb::head;
    Request request = MakeRequest(header);
    if (request.path.empty() || request.path.front() != '/') {
      SendErrorAndClose(400, "bad_request", "the request target must be a path starting with '/'");
      return;
    }
    // A body of known length is read straight from the socket into the reader's buffers,
    // a megabyte a call; a chunked one through Beast's parser (which decodes the chunks).
    if (const auto length = parser_->content_length(); !parser_->chunked()) {
      direct_left_ = length ? *length : 0;
    } else {
      direct_left_.reset();
      body_parser_.emplace(std::move(*parser_));
      body_parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    }
    const Pool pool = core_.router.PoolOf(request.method, request.path);
    core_.Post(
        pool, [self = this->shared_from_this(), request = std::move(request), keep_alive, version,
               head, guard = net::make_work_guard(stream_.get_executor())](bool run) mutable {
          Response response;
          {
            // Gone (its read ahead finished or cancelled) before the answer is written.
            SocketBodyReader reader(*self);
            request.body_reader = &reader;
            response = run ? self->core_.router.Dispatch(request) : SlowPoolFull();
          }
          // A body the handler did not read to its end cannot be followed by another request.
          const bool complete = self->BodyDone();
          if (response.stream) {
            const bool ok = self->StreamResponse(response, version, head);
            net::post(self->stream_.get_executor(), [self, keep = ok && complete && keep_alive] {
              self->busy_ = false;
              self->body_parser_.reset();
              self->direct_left_.reset();
              if (keep && !self->core_.stopping_flag) {
                self->ReadHeader();
              } else {
                self->LingeringClose();
              }
            });
            return;
          }
          net::post(self->stream_.get_executor(), [self, response = std::move(response), keep_alive,
                                                   version, head, complete]() mutable {
            self->body_parser_.reset();
            self->direct_left_.reset();
            self->Write(std::move(response), keep_alive && complete, version, head, !complete);
          });
        });
  }

  // Runs `op(done)` on the strand and waits (on a handler thread) until it calls done.
  template <class Op>
  beast::error_code OnStrand(Op op) {
    std::promise<beast::error_code> promise;
    auto future = promise.get_future();
    net::post(stream_.get_executor(), [&] {
      op([&promise](beast::error_code ec, std::size_t) { promise.set_value(ec); });
    });
    return future.get();
  }

  // Reads the body one buffer ahead of the handler: while the handler works on one buffer
  // (chunking, hashing, storing), the I/O thread fills the other from the socket. Without
  // this the two took turns, and a 1 GiB upload ran at half the speed of the store.
  class SocketBodyReader final : public BodyReader {
   public:
    explicit SocketBodyReader(Session& s) : s_(s) {
      for (auto& b : buffers_) b.resize(kBodyBuffer);
    }
    ~SocketBodyReader() override {
      if (!pending_.valid()) return;
      // The handler stopped before the end of the body (it refused the request): the
      // read ahead is cancelled rather than left to wait for a client that may be slow.
      if (pending_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        net::post(s_.stream_.get_executor(), [&stream = s_.Lowest()] { stream.cancel(); });
      }
      pending_.wait();  // the read writes into our buffers
    }

    Result<std::size_t> Read(char* out, std::size_t size) override {
      while (pos_ == length_[current_]) {
        if (!pending_.valid()) {
          if (failed_) return Error::Unavailable("the request body broke off: " + failure_);
          if (s_.BodyDone()) return std::size_t{0};
          Fill(1 - current_);
        }
        const beast::error_code ec = pending_.get();
        if (ec) {
          failed_ = true;
          failure_ = ec.message();
          return Error::Unavailable("the request body broke off: " + failure_);
        }
        current_ = 1 - current_;
        pos_ = 0;
        if (!s_.BodyDone()) Fill(1 - current_);  // the next one, meanwhile
      }
      const std::size_t n = std::min(size, length_[current_] - pos_);
      std::memcpy(out, buffers_[current_].data() + pos_, n);
      pos_ += n;
      return n;
    }

   private:
    static constexpr std::size_t kBodyBuffer = std::size_t{1} << 20;

    // Starts reading into buffer `which`; pending_ is ready when it holds data or the body
    // ended (length_[which] says how much).
    void Fill(int which) {
      auto promise = std::make_shared<std::promise<beast::error_code>>();
      pending_ = promise->get_future();
      length_[which] = 0;
      net::post(s_.stream_.get_executor(), [this, which, promise] { Step(which, promise); });
    }

    // On the strand: reads until the buffer has something or the body is complete.
    void Step(int which, std::shared_ptr<std::promise<beast::error_code>> promise) {
      if (s_.direct_left_) {
        Direct(which, std::move(promise));
        return;
      }
      auto& parser = *s_.body_parser_;
      if (parser.is_done()) {
        promise->set_value({});
        return;
      }
      parser.get().body().data = buffers_[which].data();
      parser.get().body().size = buffers_[which].size();
      s_.Lowest().expires_after(s_.core_.options.read_timeout);
      http::async_read(s_.stream_, s_.buffer_, parser,
                       [this, which, promise](beast::error_code ec, std::size_t) {
                         if (ec == http::error::need_buffer) ec = {};
                         length_[which] =
                             buffers_[which].size() - s_.body_parser_->get().body().size;
                         if (!ec && length_[which] == 0 && !s_.body_parser_->is_done()) {
                           Step(which, promise);  // nothing yet: keep reading
                           return;
                         }
                         promise->set_value(ec);
                       });
    }

    // Content-Length bodies: what the header read left in the buffer first, then the
    // socket.
    void Direct(int which, std::shared_ptr<std::promise<beast::error_code>> promise) {
      std::uint64_t& left = *s_.direct_left_;
      std::vector<char>& buf = buffers_[which];
      // Done when the body is, when the buffer is a quarter full, or when something is
      // there and the socket has nothing more at once (a slow client is not waited for).
      beast::error_code ignored;
      const bool more_now = s_.Lowest().socket().available(ignored) > 0 || s_.buffer_.size() > 0;
      if (left == 0 || length_[which] >= buf.size() / 4 || (length_[which] > 0 && !more_now)) {
        promise->set_value({});
        return;
      }
      if (s_.buffer_.size() > 0) {
        const std::size_t n = static_cast<std::size_t>(
            std::min<std::uint64_t>({s_.buffer_.size(), left, buf.size() - length_[which]}));
        net::buffer_copy(net::buffer(buf.data() + length_[which], n), s_.buffer_.data());
        s_.buffer_.consume(n);
        length_[which] += n;
        left -= n;
        Direct(which, std::move(promise));
        return;
      }
      const std::size_t want =
          static_cast<std::size_t>(std::min<std::uint64_t>(left, buf.size() - length_[which]));
      s_.Lowest().expires_after(s_.core_.options.read_timeout);
      s_.stream_.async_read_some(net::buffer(buf.data() + length_[which], want),
                                 [this, which, promise](beast::error_code ec, std::size_t n) {
                                   length_[which] += n;
                                   *s_.direct_left_ -= n;
                                   if (ec) {
                                     if (ec == net::error::eof) ec = http::error::partial_message;
                                     promise->set_value(ec);
                                     return;
                                   }
                                   Direct(which, promise);
                                 });
    }

    Session& s_;
    std::array<std::vector<char>, 2> buffers_;
    std::array<std::size_t, 2> length_{0, 0};
    int current_ = 0;
    std::size_t pos_ = 0;
    std::future<beast::error_code> pending_;
    bool failed_ = false;
    std::string failure_;
  };

  // Writes the body a megabyte at a time, one buffer behind the handler: while the I/O
  // thread sends one buffer, the handler (reading and verifying chunks) fills the other.
  class SocketBodyWriter final : public BodyWriter {
   public:
    SocketBodyWriter(Session& s, http::response<http::buffer_body>& res,
                     http::response_serializer<http::buffer_body>& sr)
        : s_(s), res_(res), sr_(sr) {
      for (auto& b : buffers_) b.reserve(kBodyBuffer);
    }
    ~SocketBodyWriter() override {
      if (pending_.valid()) pending_.wait();  // the write reads from our buffers
    }

    Result<void> Write(std::string_view bytes) override {
      while (!bytes.empty()) {
        std::string& buf = buffers_[current_];
        const std::size_t n = std::min(bytes.size(), kBodyBuffer - buf.size());
        buf.append(bytes.substr(0, n));
        bytes.remove_prefix(n);
        if (buf.size() == kBodyBuffer) QUIRE_RETURN_IF_ERROR(Send());
      }
      return Ok();
    }

    // Sends what is buffered and waits until everything is written.
    Result<void> Flush() {
      if (!buffers_[current_].empty()) QUIRE_RETURN_IF_ERROR(Send());
      return Wait();
    }

   private:
    static constexpr std::size_t kBodyBuffer = std::size_t{1} << 20;

    Result<void> Wait() {
      if (!pending_.valid()) return Ok();
      beast::error_code ec = pending_.get();
      if (ec == http::error::need_buffer) ec = {};
      if (ec) return Error::Unavailable("the client stopped reading: " + ec.message());
      return Ok();
    }

    // Starts writing the current buffer (after the previous write) and switches buffers.
    Result<void> Send() {
      QUIRE_RETURN_IF_ERROR(Wait());
      buffers_[1 - current_].clear();
      std::string& buf = buffers_[current_];
      res_.body().data = buf.data();
      res_.body().size = buf.size();
      res_.body().more = true;
      auto promise = std::make_shared<std::promise<beast::error_code>>();
      pending_ = promise->get_future();
      net::post(s_.stream_.get_executor(), [this, promise] {
        s_.Lowest().expires_after(s_.core_.options.write_timeout);
        http::async_write(s_.stream_, sr_,
                          [promise](beast::error_code ec, std::size_t) { promise->set_value(ec); });
      });
      current_ = 1 - current_;
      return Ok();
    }

    Session& s_;
    http::response<http::buffer_body>& res_;
    http::response_serializer<http::buffer_body>& sr_;
    std::array<std::string, 2> buffers_;
    int current_ = 0;
    std::future<beast::error_code> pending_;
  };

  // Sends a response whose body comes from response.stream. False: the connection must close.
  bool StreamResponse(Response& response, unsigned version, bool head) {
    http::response<http::buffer_body> res{static_cast<http::status>(response.status), version};
    if (!response.content_type.empty()) res.set(http::field::content_type, response.content_type);
    for (const Header& h : response.headers) res.insert(h.name, h.value);
    SetStandardHeaders(res, kTls);
    res.content_length(response.stream_length);
    res.keep_alive(!core_.stopping_flag);
    res.body().data = nullptr;
    res.body().more = !head;
    http::response_serializer<http::buffer_body> sr{res};
    beast::error_code ec = OnStrand([&](auto done) {
      Lowest().expires_after(core_.options.write_timeout);
      http::async_write_header(stream_, sr, std::move(done));
    });
    if (ec) return false;
    if (head) return true;
    SocketBodyWriter writer(*this, res, sr);
    Result<void> r = response.stream(writer);
    if (r) r = writer.Flush();
    if (!r) {
      std::cerr << "quire: a streamed response broke off: " << r.error().message() << std::endl;
      return false;
    }
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = false;
    ec = OnStrand([&](auto done) {
      Lowest().expires_after(core_.options.write_timeout);
      http::async_write(stream_, sr, std::move(done));
    });
    if (ec == http::error::need_buffer) ec = {};
    return !ec && sr.is_done();
  }

  // Whether a streaming route's body has been read to its end.
  bool BodyDone() const { return direct_left_ ? *direct_left_ == 0 : body_parser_->is_done(); }

  Request MakeRequest(const http::request_header<>& header) const {
    Request request;
    request.method = std::string(header.method_string());
    request.target = std::string(header.target());
    const std::size_t question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string::npos) request.query = request.target.substr(question + 1);
    for (const auto& field : header) {
      std::string name(field.name_string());
      std::transform(name.begin(), name.end(), name.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      request.headers.push_back({std::move(name), std::string(field.value())});
    }
    request.remote = remote_;
    return request;
  }

  void ReadBody() {
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session<Stream>::OnRead, this->shared_from_this()));
  }

  void OnReadError(const beast::error_code& ec) {
    if (ec == http::error::body_limit) {
      SendErrorAndClose(413, "payload_too_large",
                        "the request body exceeds the limit of " +
                            std::to_string(core_.options.max_body_bytes) + " bytes");
    } else if (ec == http::error::header_limit) {
      SendErrorAndClose(431, "header_too_large",
                        "the request header exceeds the limit of " +
                            std::to_string(core_.options.max_header_bytes) + " bytes");
    } else if (ec == http::error::bad_version && NamesAnHttpVersion()) {
      SendErrorAndClose(505, "http_version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
    } else if (ec == beast::error::timeout) {
      // The stream has closed the socket already: a client that does not finish its request
      // in time loses the connection.
    } else if (IsHttpParseError(ec) && ec != http::error::end_of_stream &&
               ec != http::error::partial_message) {
      SendErrorAndClose(400, "bad_request", "malformed HTTP request: " + ec.message());
    } else {
      Close();  // the client closed or reset the connection, or we are shutting down
    }
  }

  // Whether the request line still in the buffer ends in a well-formed "HTTP/x.y": then a
  // version error means an unsupported version (505), not a malformed request (400).
  bool NamesAnHttpVersion() const {
    const std::string head = beast::buffers_to_string(buffer_.data());
    const std::string line = head.substr(0, head.find("\r\n"));
    if (line.size() < 9) return false;
    const std::string_view v = std::string_view(line).substr(line.size() - 8);
    return v.starts_with("HTTP/") && std::isdigit(static_cast<unsigned char>(v[5])) != 0 &&
           v[6] == '.' && std::isdigit(static_cast<unsigned char>(v[7])) != 0;
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    busy_ = true;
    http::request<http::string_body> req = parser_->release();
    const bool keep_alive = req.keep_alive();
    const unsigned version = req.version();
    const bool head = req.method() == http::verb::head;

    Request request = MakeRequest(req.base());
    request.body = std::move(req.body());

    if (request.path.empty() || request.path.front() != '/') {
      Write(
          ErrorResponse(400, "bad_request", "the request target must be a path starting with '/'"),
          keep_alive, version, head);
      return;
    }

    // The guard keeps the I/O threads running while the request is with a handler: during
    // shutdown nothing else may be pending on them, and the answer still has to go out.
    const Pool pool = core_.router.PoolOf(request.method, request.path);
    core_.Post(
        pool, [self = this->shared_from_this(), request = std::move(request), keep_alive, version,
               head, guard = net::make_work_guard(stream_.get_executor())](bool run) mutable {
          Response response = run ? self->core_.router.Dispatch(request) : SlowPoolFull();
          if (response.stream) {
            // A streamed download (its request body was small and is read already).
            const bool ok = self->StreamResponse(response, version, head);
            net::post(self->stream_.get_executor(), [self, keep = ok && keep_alive] {
              self->busy_ = false;
              if (keep && !self->core_.stopping_flag) {
                self->ReadHeader();
              } else {
                self->LingeringClose();
              }
            });
            return;
          }
          net::post(self->stream_.get_executor(),
                    [self, response = std::move(response), keep_alive, version, head]() mutable {
                      self->Write(std::move(response), keep_alive, version, head);
                    });
        });
  }

  void Write(Response response, bool keep_alive, unsigned version, bool head,
             bool then_close = false) {
    busy_ = true;
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(response.status), version);
    // No Content-Type on an empty body (204): clients would try to parse nothing as JSON.
    if (!response.content_type.empty() && !(response.body.empty() && response.status == 204)) {
      res->set(http::field::content_type, response.content_type);
    }
    for (const Header& h : response.headers) res->insert(h.name, h.value);
    SetStandardHeaders(*res, kTls);
    const bool keep = keep_alive && !then_close && !core_.stopping_flag;
    res->keep_alive(keep);
    res->body() = std::move(response.body);
    res->prepare_payload();
    if (head) res->body().clear();  // Content-Length stays that of the GET response
    Lowest().expires_after(core_.options.write_timeout);
    http::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
          self->busy_ = false;
          if (ec) {
            self->Close();
          } else if (!keep) {
            self->LingeringClose();
          } else {
            self->ReadHeader();
          }
        });
  }

  void SendErrorAndClose(int status, std::string_view code, const std::string& message) {
    Write(ErrorResponse(status, code, message), false, 11, false, true);
  }

  void LingeringClose() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) {
      Close();
      return;
    }
    Lowest().expires_after(kDrainTime);
    drained_ = 0;
    Drain();
  }

  void Drain() {
    stream_.async_read_some(net::buffer(drain_buffer_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > kDrainBytes) {
                                self->Close();
                              } else {
                                self->Drain();
                              }
                            });
  }

  void Close() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
  }

  // The TCP stream under any TLS.
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  ServerCore& core_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::buffer_body>> body_parser_;  // streaming, chunked
  std::optional<std::uint64_t> direct_left_;  // streaming, Content-Length: bytes still to read
  std::string remote_;
  bool busy_ = false;  // a request is being handled or answered
  std::size_t drained_ = 0;
  std::array<char, 4096> drain_buffer_{};
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(ServerCore& core, tcp::acceptor acceptor)
      : core_(core), acceptor_(std::move(acceptor)), retry_(acceptor_.get_executor()) {}

  void Start() {
    net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->Accept(); });
  }

  void Stop() {
    net::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

 private:
  void Accept() {
    acceptor_.async_accept(net::make_strand(core_.ioc),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
      // Out of descriptors or similar: say so and try again shortly instead of spinning.
      std::cerr << "quire: accepting a connection failed: " << ec.message() << std::endl;
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](beast::error_code wec) {
        if (!wec && self->acceptor_.is_open()) self->Accept();
      });
      return;
    }
    core_.StartSession(std::move(socket));
    Accept();
  }

  ServerCore& core_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_;
};

template <class S>
void ServerCore::Register(const std::shared_ptr<S>& session) {
  bool reject = false;
  {
    std::lock_guard lock(mu);
    reject = stopping || sessions.size() >= options.max_connections;
    sessions.emplace(session.get(), session);
  }
  session->Start(reject);
}

// Whether a new connection on the TLS port speaks TLS: a plain-HTTP request is answered with
// a 400 that says to use https (instead of a broken handshake the client cannot explain).
class TlsDetector : public std::enable_shared_from_this<TlsDetector> {
 public:
  TlsDetector(tcp::socket socket, ServerCore& core) : core_(core), stream_(std::move(socket)) {}

  void Start() {
    stream_.expires_after(core_.options.read_timeout);
    beast::async_detect_ssl(
        stream_, buffer_,
        [self = shared_from_this()](beast::error_code ec, bool is_tls) { self->On(ec, is_tls); });
  }

 private:
  void On(beast::error_code ec, bool is_tls) {
    if (ec) return stream_.close();
    if (is_tls) {
      core_.Register(std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
          core_, std::move(buffer_), std::move(stream_), *core_.tls));
      return;
    }
    auto response = std::make_shared<std::string>(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\n"
        "Content-Length: ");
    const std::string body =
        R"({"error":{"code":"bad_request","message":"this port speaks HTTPS only: use https://",)"
        R"("details":[]}})";
    *response += std::to_string(body.size()) + "\r\n\r\n" + body;
    net::async_write(stream_, net::buffer(*response),
                     [self = shared_from_this(), response](beast::error_code, std::size_t) {
                       beast::error_code ignored;
                       self->stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
                       self->stream_.close();
                     });
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

void ServerCore::StartSession(tcp::socket socket) {
  if (tls) {
    std::make_shared<TlsDetector>(std::move(socket), *this)->Start();
    return;
  }
  Register(
      std::make_shared<Session<beast::tcp_stream>>(*this, beast::flat_buffer(), std::move(socket)));
}

void ServerCore::Forget(SessionBase* session) {
  std::lock_guard lock(mu);
  sessions.erase(session);
  if (sessions.empty()) changed.notify_all();
}

void ServerCore::BeginShutdown() {
  std::vector<std::shared_ptr<SessionBase>> live;
  {
    std::lock_guard lock(mu);
    if (stopping) return;
    stopping = true;
    stopping_flag = true;
    stop_started = std::chrono::steady_clock::now();
    for (auto& [ptr, weak] : sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  changed.notify_all();
  if (listener) listener->Stop();
  for (const auto& s : live) s->CloseIfIdle();
}

}  // namespace

// TLS 1.2 and 1.3 only, forward-secret AEAD suites, the server's preference first.
Result<void> ConfigureTls(ServerCore& core, const HttpServerOptions& options) {
  if (options.tls_certificate.empty() || options.tls_private_key.empty()) {
    return Error::InvalidArgument("TLS needs both a certificate and a private key file");
  }
  core.tls.emplace(net::ssl::context::tls_server);
  net::ssl::context& ctx = *core.tls;
  ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                  net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                  net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx.native_handle(),
                          "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                          "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                          "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305");
  SSL_CTX_set_options(ctx.native_handle(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  beast::error_code ec;
  ctx.use_certificate_chain_file(options.tls_certificate, ec);
  if (ec) {
    core.tls.reset();
    return Error::InvalidArgument("cannot use the TLS certificate " + options.tls_certificate +
                                  ": " + ec.message() + " (a PEM file is expected)");
  }
  ctx.use_private_key_file(options.tls_private_key, net::ssl::context::pem, ec);
  if (ec) {
    core.tls.reset();
    return Error::InvalidArgument("cannot use the TLS private key " + options.tls_private_key +
                                  ": " + ec.message() +
                                  " (a PEM file matching the certificate is expected)");
  }
  return Ok();
}

struct HttpServer::Impl {
  Impl(Router router, const HttpServerOptions& options) : core(std::move(router), options) {}

  ServerCore core;
  std::uint16_t port = 0;
  bool started = false;
  bool finished = false;
  std::vector<std::thread> io_threads;
};

HttpServer::HttpServer(Router router, const HttpServerOptions& options)
    : impl_(std::make_unique<Impl>(std::move(router), options)) {}

HttpServer::~HttpServer() {
  if (impl_->started) {
    Shutdown();
    Wait();
  }
}

Result<void> HttpServer::Start() {
  ServerCore& core = impl_->core;
  const HttpServerOptions& options = core.options;
  beast::error_code ec;
  net::ip::address address = net::ip::make_address(options.host, ec);
  if (ec) {
    tcp::resolver resolver(core.ioc);
    const auto results = resolver.resolve(options.host, "", ec);
    if (ec || results.empty()) {
      return Error::InvalidArgument("cannot use host '" + options.host +
                                    "': it is neither an IP address nor a name that resolves (" +
                                    ec.message() + ")");
    }
    address = results.begin()->endpoint().address();
  }
  const tcp::endpoint endpoint(address, options.port);
  if (!options.tls_certificate.empty() || !options.tls_private_key.empty()) {
    QUIRE_RETURN_IF_ERROR(ConfigureTls(core, options));
  }
  const std::string where = options.host + ":" + std::to_string(options.port);

  tcp::acceptor acceptor(net::make_strand(core.ioc));
  const auto fail = [&where](const beast::error_code& e) {
    return Error::Unavailable("cannot listen on " + where + ": " + e.message() +
                              "; choose another port or address, or stop the program using it");
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail(ec);
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) return fail(ec);
  if (acceptor.bind(endpoint, ec); ec) return fail(ec);
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) return fail(ec);
  impl_->port = acceptor.local_endpoint(ec).port();
  if (ec) return fail(ec);

  core.listener = std::make_shared<Listener>(core, std::move(acceptor));
  core.listener->Start();
  impl_->started = true;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, options.io_threads); ++i) {
    impl_->io_threads.emplace_back([&core] { core.ioc.run(); });
  }
  return Ok();
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::string HttpServer::url() const {
  const std::string& host = impl_->core.options.host;
  const bool v6 = host.find(':') != std::string::npos;
  return std::string(impl_->core.tls ? "https://" : "http://") + (v6 ? "[" + host + "]" : host) +
         ":" + std::to_string(impl_->port);
}

void HttpServer::Shutdown() { impl_->core.BeginShutdown(); }

void HttpServer::Wait() {
  if (!impl_->started || impl_->finished) return;
  ServerCore& core = impl_->core;
  {
    std::unique_lock lock(core.mu);
    core.changed.wait(lock, [&core] { return core.stopping; });
    core.changed.wait_until(lock, core.stop_started + core.options.shutdown_grace,
                            [&core] { return core.sessions.empty(); });
  }
  core.ioc.stop();
  for (std::thread& t : impl_->io_threads) t.join();
  core.handlers.join();
  core.listener.reset();
  impl_->finished = true;
}

}  // namespace quire::server
