#pragma once
// Where the tests find their data and the programs they run. The paths are compiled into
// test_paths.cpp alone (so that every other test source compiles to the same object in any
// checkout, which keeps compiler caches useful); QS_DEMO_DIR and QS_TEST_BINARY in the
// environment override the built-in demo model and binary.
#include <QString>

namespace qs::test {

QString goldenDir();                               // tests/data/golden in the source tree
QString goldenPath(const QString& relative);       // goldenDir() + "/" + relative
QString testDataDir();                             // tests/data
QString sourcePath(const QString& relative);       // a file of the source tree
QString demoDirPath();                             // the demo model built with the tests
QString binaryPath();                              // the quantscope binary under test

}  // namespace qs::test
