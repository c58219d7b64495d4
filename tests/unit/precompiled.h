#pragma once
// The unit tests' precompiled header: the core's plus GoogleTest (see
// proxy/common/precompiled.h for what belongs here and why).

#include <gtest/gtest.h>

#include "proxy/common/precompiled.h"
