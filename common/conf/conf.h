// Reader for the nats-server configuration file format. The one header other
// code includes; see README.md for the format and the API.
#pragma once

#include "common/conf/parser.h"  // IWYU pragma: export
#include "common/conf/units.h"   // IWYU pragma: export
#include "common/conf/value.h"   // IWYU pragma: export
