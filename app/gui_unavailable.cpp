// runGui for builds made with -DQS_BUILD_GUI=OFF (the headless sanitizer build): the
// explorer window is not part of them, so say so and point at the headless commands.
#include "commands.h"

#include <cstdio>

int runGui(int, char**, const QString&)
{
    std::fprintf(stderr, "error: this quantscope was built without the explorer window (QS_BUILD_GUI=OFF); "
                         "use the headless commands, see `quantscope --help`\n");
    return 1;
}
