#pragma once
// Internals of the fake Hub shared by its two source files: the repos, fault switches and
// request log (FakeHub::State, guarded by its mutex), parsed requests and answers, and
// routeRequest(), which answers one request the way HF_HUB.md describes the Hub.
#include "fake_hub.h"

#include <QElapsedTimer>
#include <QList>
#include <QMutex>
#include <QPair>
#include <QRandomGenerator>

namespace qs::test {

struct Repo {
    bool isPrivate = false;
    QString gated;
    QSet<QString> tokens;
    QMap<QString, QString> refs;
    QMap<QString, QMap<QString, FakeFile>> commits;
};

struct FakeHub::State {
    mutable QMutex mutex;
    QMap<QString, Repo> repos;
    QSet<QString> validTokens;
    FakeFaults faults;
    int cutRemaining = 0, fail429Remaining = 0, fail503Remaining = 0;
    QRandomGenerator rng{1};
    int cdnGeneration = 0;
    int commitCounter = 0;
    QVector<FakeLogEntry> log;
    int logEpoch = 0;
    QElapsedTimer clock;
    quint16 hubPort = 0, cdnPort = 0;
};

struct Req {
    QString server;
    QByteArray method, target;
    QMap<QByteArray, QByteArray> headers;
};

struct Resp {
    int status = 200;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool stream = false;    // body = file bytes [start, end)
    FakeFile file;
    uint64_t start = 0, end = 0;
    bool content = false;   // subject to the body fault switches
    void set(const QByteArray& k, const QByteArray& v) { headers.append({k, v}); }
};

// Answers rq; the caller holds st.mutex.
Resp routeRequest(FakeHub::State& st, const Req& rq);
// Percent-encodes each segment of a repo path, keeping '/'.
QByteArray encodePath(const QString& path);

} // namespace qs::test
