#include "proxy/policy/services.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gatehouse::policy {
namespace {

// A service that, like the JWKS fetcher, registers its shutdown when built.
struct StoppableService {
  explicit StoppableService(PolicyServices& services) {
    services.on_stop([this] { ++stops; });
  }
  int stops = 0;
};

TEST(PolicyServicesTest, OneInstancePerTypeBuiltWithTheServices) {
  PolicyServices services;
  StoppableService& first = services.shared<StoppableService>();
  EXPECT_EQ(&first, &services.shared<StoppableService>());
}

TEST(PolicyServicesTest, StopRunsEveryHookOnceNewestFirst) {
  PolicyServices services;
  std::vector<std::string> order;
  services.on_stop([&] { order.push_back("first"); });
  // Registering from a service's constructor happens inside shared<T>(),
  // which holds the services' lock: it must not deadlock.
  StoppableService& service = services.shared<StoppableService>();
  services.on_stop([&] { order.push_back("last"); });
  services.stop();
  services.stop();
  EXPECT_EQ(order, (std::vector<std::string>{"last", "first"}));
  EXPECT_EQ(service.stops, 1);
}

// `workers` cannot change on reload: the first config's count stays.
TEST(PolicyServicesTest, WorkerCountIsTheFirstOneSet) {
  PolicyServices services;
  EXPECT_EQ(services.worker_count(), 1u);
  services.set_worker_count(6);
  services.set_worker_count(2);
  EXPECT_EQ(services.worker_count(), 6u);
}

}  // namespace
}  // namespace gatehouse::policy
