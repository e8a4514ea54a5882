// MakeTlsContext builds the server side of TLS from the tls-* settings: TLS 1.2 or later only (older
// versions and compression are disabled), the certificate chain and private key, and, unless
// tls-auth-clients is "no", the CA certificates a client's certificate must chain to. With "yes" a
// client that presents no certificate fails the handshake; with "optional" it may present none, but
// one it presents must verify.
//
// The context is shared by every TLS connection; each Connection wraps its socket in its own
// asio::ssl::stream over it.
#pragma once

#include <memory>

#include "server/asio.h"
#include "server/config.h"
#include "storage/status.h"

#include <boost/asio/ssl.hpp>

namespace latchkey {

// Sets `*context` on success; the error names the setting and file that failed.
Status MakeTlsContext(const TlsSettings& settings, std::unique_ptr<asio::ssl::context>* context);

}  // namespace latchkey
