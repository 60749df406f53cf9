// The schema of a stand-alone proxy's file (`faultline proxy --config`,
// proxy_config.h): its proxies, each with faults as a scenario's without
// `dependency`. Rows as in schema.h.
#pragma once

#include "harness/scenario/schema.h"

namespace faultline::schema {

inline constexpr Key kProxyKeys[] = {
    {.name = "name", .type = Type::kName, .doc = "the proxy's name, unique in the file",
     .required = kAllKinds},
    {.name = "listen", .type = Type::kString,
     .doc = "where the proxy listens; port 0 picks a free one",
     .type_note = "`\"host:port\"`", .required = kAllKinds},
    {.name = "upstream", .type = Type::kString, .doc = "where it forwards to",
     .type_note = "`\"host:port\"`", .required = kAllKinds},
    {.name = "protocol", .type = Type::kEnum,
     .doc = "what the proxy speaks; `\"http\"` for the HTTP faults (abort, delay, slow_body, "
            "hang_request)",
     .def_note = "`\"tcp\"`", .choices = &kProtocols},
    {.name = "faults", .type = Type::kTables,
     .doc = "its faults, as a scenario's without `dependency`, `ramp` and `flap`",
     .def_note = "none", .sub = &kProxyFaultSchema},
};
inline constexpr TableSchema kProxySchema{"proxy", kProxyKeys};

inline constexpr Key kProxyFileKeys[] = {
    {.name = "proxies", .type = Type::kTables, .doc = "the proxies to create",
     .required = kAllKinds, .sub = &kProxySchema},
};
inline constexpr TableSchema kProxyFileSchema{"proxy file", kProxyFileKeys};

}  // namespace faultline::schema
