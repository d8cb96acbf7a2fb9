#pragma once
// Runs the real quantscope binary (qs::test::binaryPath()) for end-to-end tests.
#include <QByteArray>
#include "test_paths.h"
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

struct CliRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

inline CliRun runCli(const QStringList& args, const QString& workDir = QString(),
                     const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
                     const QString& program = qs::test::binaryPath())
{
    QProcess p;
    p.setProgram(program);
    p.setArguments(args);
    QProcessEnvironment e = env;
    e.insert("NO_COLOR", "1");
    e.remove("DISPLAY");
    e.insert("QT_QPA_PLATFORM", "offscreen");
    e.insert("HF_HUB_OFFLINE", "1");  // end-to-end tests never reach a network
    p.setProcessEnvironment(e);
    if (!workDir.isEmpty()) p.setWorkingDirectory(workDir);
    p.start();
    CliRun r;
    if (!p.waitForFinished(300000)) {
        p.kill();
        p.waitForFinished();
        r.err = "timeout";
        return r;
    }
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}
