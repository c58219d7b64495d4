#include "proxy/policy/policy.h"

namespace gatehouse::policy {

RequestOutcome RequestOutcome::respond_error(int status, std::string_view code,
                                             std::string_view message) {
  LocalReply reply;
  reply.status = status;
  RequestOutcome o = respond(std::move(reply));
  o.error_code_.assign(code);
  o.error_message_.assign(message);
  return o;
}

}  // namespace gatehouse::policy
