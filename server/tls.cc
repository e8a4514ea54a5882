#include "server/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <string>

namespace latchkey {
namespace {

// OpenSSL's reason for an error from the SSL category ("no such file", "key values mismatch"); Asio's
// message for the others.
std::string Reason(const boost::system::error_code& ec) {
  if (ec.category() == asio::error::get_ssl_category()) {
    const char* reason = ERR_reason_error_string(static_cast<unsigned long>(ec.value()));
    ERR_clear_error();
    if (reason != nullptr) return reason;
  }
  return ec.message();
}

}  // namespace
Status MakeTlsContext(const TlsSettings& settings, std::unique_ptr<asio::ssl::context>* context) {
  if (settings.cert_file.empty() || settings.key_file.empty()) {
    return Status::Err("tls-port needs tls-cert-file and tls-key-file");
  }
  const bool verify_clients = settings.auth_clients != "no";
  if (verify_clients && settings.ca_cert_file.empty()) {
    return Status::Err("tls-auth-clients " + settings.auth_clients +
                       " needs tls-ca-cert-file (or set tls-auth-clients no)");
  }
  auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::no_compression |
                       asio::ssl::context::single_dh_use,
                   ec);
  if (!ec) SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (ec) return Status::Err("could not set TLS options: " + Reason(ec));
  ctx->use_certificate_chain_file(settings.cert_file, ec);
  if (ec) return Status::Err("tls-cert-file '" + settings.cert_file + "': " + Reason(ec));
  ctx->use_private_key_file(settings.key_file, asio::ssl::context::pem, ec);
  if (ec) return Status::Err("tls-key-file '" + settings.key_file + "': " + Reason(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return Status::Err("tls-key-file '" + settings.key_file + "' does not match tls-cert-file");
  }
  if (verify_clients) {
    ctx->load_verify_file(settings.ca_cert_file, ec);
    if (ec) return Status::Err("tls-ca-cert-file '" + settings.ca_cert_file + "': " + Reason(ec));
    asio::ssl::verify_mode mode = asio::ssl::verify_peer;
    if (settings.auth_clients == "yes") mode |= asio::ssl::verify_fail_if_no_peer_cert;
    ctx->set_verify_mode(mode, ec);
    if (ec) return Status::Err("could not set client verification: " + Reason(ec));
  } else {
    ctx->set_verify_mode(asio::ssl::verify_none, ec);
  }
  *context = std::move(ctx);
  return Status::Ok();
}

}  // namespace latchkey
