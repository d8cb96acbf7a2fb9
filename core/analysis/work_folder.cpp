#include "analysis/work_folder.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <random>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

namespace qs {

namespace {

// ".<name>.<pid>.<random>.incomplete" of a process that no longer runs.
bool isStale(const QString& entry)
{
    const QStringList parts = entry.split('.');  // "", name parts..., pid, random, "incomplete"
    if (parts.size() < 5 || !parts.front().isEmpty() || parts.back() != QLatin1String("incomplete")) return false;
    bool ok = false;
    const qint64 pid = parts[parts.size() - 3].toLongLong(&ok);
    if (!ok || pid <= 0 || pid == qint64(::getpid())) return false;
    return ::kill(pid_t(pid), 0) != 0 && errno == ESRCH;
}

std::string osError(int e) { return e ? std::string(std::strerror(e)) : std::string("unknown error"); }

} // namespace

Result<WorkFolder> WorkFolder::create(const QString& parent, const QString& name)
{
    // The folders this call creates (deepest first): discard() removes them again when
    // they are still empty, so a cancelled run leaves no empty results/<model>/<algo>/.
    QStringList created;
    for (QString p = QDir::cleanPath(QDir(parent).absolutePath()); !QFileInfo::exists(p);) {
        created << p;
        const QString up = QFileInfo(p).absolutePath();
        if (up == p) break;
        p = up;
    }
    if (!QDir().mkpath(parent)) return Error::model("cannot create the folder " + parent.toStdString());
    const QStringList entries = QDir(parent).entryList({QStringLiteral(".*.incomplete")},
                                                       QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot);
    for (const QString& e : entries)
        if (isStale(e)) QDir(QDir(parent).filePath(e)).removeRecursively();
    WorkFolder f;
    f.m_finalPath = QDir(parent).filePath(name);
    f.m_createdParents = created;
    std::random_device rd;
    for (int attempt = 0;; ++attempt) {
        const QString work = QDir(parent).filePath(QStringLiteral(".%1.%2.%3.incomplete")
                                                       .arg(name)
                                                       .arg(qint64(::getpid()))
                                                       .arg(rd() & 0xFFFFFF, 6, 16, QLatin1Char('0')));
        if (::mkdir(QFile::encodeName(work).constData(), 0777) == 0) {
            f.m_workPath = work;
            return f;
        }
        if (errno != EEXIST || attempt > 100) return Error::model("cannot create " + work.toStdString() + ": " + osError(errno));
    }
}

Result<void> WorkFolder::commit(bool suffixOnCollision)
{
    const QByteArray from = QFile::encodeName(m_workPath);
    for (int i = 1; i < 1000; ++i) {
        const QString target = i == 1 ? m_finalPath : m_finalPath + "-" + QString::number(i);
        const QByteArray to = QFile::encodeName(target);
        if (!suffixOnCollision) ::rmdir(to.constData());  // an empty folder may be replaced
        // rename without replacing: a concurrent run's folder of the same name stays
        if (::renameat2(AT_FDCWD, from.constData(), AT_FDCWD, to.constData(), RENAME_NOREPLACE) == 0) {
            m_finalPath = target;
            return {};
        }
        int e = errno;
        if (e == EINVAL || e == ENOSYS) {  // a file system without RENAME_NOREPLACE
            if (QFileInfo::exists(target)) {
                e = EEXIST;
            } else if (::rename(from.constData(), to.constData()) == 0) {
                m_finalPath = target;
                return {};
            } else {
                e = errno;
            }
        }
        if ((e != EEXIST && e != ENOTEMPTY) || !suffixOnCollision)
            return Error::model("cannot rename " + m_workPath.toStdString() + " to " + target.toStdString() + ": " +
                                osError(e));
    }
    return Error::model("cannot rename " + m_workPath.toStdString() + ": every name " + m_finalPath.toStdString() +
                        "-N is taken");
}

void WorkFolder::discard()
{
    if (!m_workPath.isEmpty()) QDir(m_workPath).removeRecursively();
    // rmdir fails on a folder that is not empty (another run's results stay).
    for (const QString& dir : std::as_const(m_createdParents))
        if (::rmdir(QFile::encodeName(dir).constData()) != 0) break;
}

} // namespace qs
