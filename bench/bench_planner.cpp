// Planner solve time at model scale (issue #11): ~90,000 tensors x 4 formats, budgets
// between the smallest and the largest plan. Prints numbers; never a pass/fail test.
#include "compression/planner.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

int main()
{
    using namespace qs;
    const int n = 90000;
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> size(13.0, 1.5), sens(0.0, 1.5);
    std::uniform_real_distribution<double> u(0.7, 1.3);
    const double bits[4] = {16, 8.5, 4.25, 2.25};
    std::vector<PlanItem> items(static_cast<size_t>(n));
    double minB = 0, maxB = 0;
    for (auto& it : items) {
        const double elems = std::ceil(size(rng)), k = sens(rng);
        for (double b : bits)
            it.options.push_back({std::ceil(elems * b / 8), elems * k * std::pow(4.0, -b) * u(rng)});
        minB += it.options.back().bytes, maxB += it.options.front().bytes;
    }
    std::printf("planner: %d tensors x 4 formats, %.3g .. %.3g bytes\n", n, minB, maxB);
    for (double f : {0.1, 0.3, 0.6, 0.9}) {
        const double budget = minB + f * (maxB - minB);
        const auto t0 = std::chrono::steady_clock::now();
        auto r = solvePlan(items, budget);
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (!r.ok()) return std::printf("%s\n", r.error().message.c_str()), 2;
        std::printf("  budget %.3g B: %.3f s, used %.6f of budget, gap to Lagrangian bound %.3g %%\n", budget, s,
                    r->bytes / budget, r->gap() * 100);
    }
    return 0;
}
