#include "test_paths.h"

#include <QtGlobal>

namespace qs::test {

QString goldenDir() { return QStringLiteral(QS_TEST_DATA_DIR "/golden"); }
QString goldenPath(const QString& relative) { return goldenDir() + QLatin1Char('/') + relative; }
QString testDataDir() { return QStringLiteral(QS_TEST_DATA_DIR); }
QString sourcePath(const QString& relative) { return QStringLiteral(QS_SOURCE_DIR "/") + relative; }

QString demoDirPath()
{
    const QString env = qEnvironmentVariable("QS_DEMO_DIR");
    return env.isEmpty() ? QStringLiteral(QS_DEMO_DIR) : env;
}

QString binaryPath()
{
    const QString env = qEnvironmentVariable("QS_TEST_BINARY");
    return env.isEmpty() ? QStringLiteral(QS_BINARY) : env;
}

}  // namespace qs::test
