// TLS for the mail module's clients (SMTP, the SMS gateway): Poco's SSL set up once for the
// process, refusing any certificate that does not verify; a client context trusting the
// system's CAs or one CA file.
#pragma once

#include <Poco/Net/Context.h>

#include <string>

namespace quire::mail::internal {

void InitializeSsl();
Poco::Net::Context::Ptr ClientTlsContext(const std::string& ca_file);

}  // namespace quire::mail::internal
