#pragma once
// Sends an email message of the outbox (service/receipts builds them) over SMTP with libcurl. TLS is required:
// smtps:// (TLS from the first byte) or smtp:// with STARTTLS demanded (CURLUSESSL_ALL: a server that does not offer
// it gets no message); plain SMTP only to a loopback host (tests, a local relay). One attempt per Deliver.
#include <chrono>
#include <functional>
#include <string>

#include "service/outbox_channel.hpp"

namespace haven::service {

struct EmailSettings {
    std::string smtp_url;  // SMTP_URL: smtp[s]://[user:password@]host[:port]; credentials never logged
    std::string from;      // SMTP_FROM: the sender address ("Haven <receipts@haven.example>" or a bare address)
    std::string ca_file;   // extra CA bundle to trust ("" = the system's)
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds total_timeout{20000};
};

/// "" when the URL is usable, else why not (an unknown scheme, no host): checked at start-up.
std::string CheckSmtpUrl(const std::string& url);

/// The SMTP URL's host without credentials, for logs ("mail.example.com:587").
std::string SmtpHostForLog(const std::string& url);

class EmailSender : public ChannelSender {
  public:
    explicit EmailSender(EmailSettings settings, std::function<std::chrono::system_clock::time_point()> clock = {});
    /// Payload {"to","subject","text","html"}. A permanent refusal (SMTP 5xx), a bad payload or a plain-text server
    /// that is not on loopback is not retryable; connection trouble, timeouts and 4xx are.
    DeliveryResult Deliver(const storage::OutboxMessage& message) override;

    /// The RFC 5322 message (multipart/alternative: text/plain then text/html, both UTF-8, base64) with Date,
    /// Message-ID, From, To and Subject (RFC 2047 encoded-word when not ASCII). For tests and Deliver.
    std::string BuildMessage(const std::string& to, const std::string& subject, const std::string& text,
                             const std::string& html) const;

  private:
    EmailSettings settings_;
    std::function<std::chrono::system_clock::time_point()> clock_;
};

}  // namespace haven::service
