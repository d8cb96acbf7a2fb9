// Transitional: weak definitions of commands whose implementation is landing in
// parallel; the real (strong) definitions replace them at link time.
#include "commands.h"

#include <cstdio>

namespace {
int pending(const char* name)
{
    std::fprintf(stderr, "error: `quantscope %s` is not available in this build yet\n", name);
    return 1;
}
} // namespace

__attribute__((weak)) int runReconstructCommand(const QStringList&) { return pending("reconstruct"); }
__attribute__((weak)) int runSweepCommand(const QStringList&) { return pending("sweep"); }
__attribute__((weak)) int runPlotCommand(const QStringList&) { return pending("plot"); }
__attribute__((weak)) int runGui(int, char**, const QString&) { return pending("gui"); }
