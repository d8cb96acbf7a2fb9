#pragma once
// WorkFolder: an output folder (a wq results folder, a sweep's --out-dir) built under a
// hidden work name unique to the process, ".<name>.<pid>.<random>.incomplete" next to
// the final name (exclusive mkdir), and renamed into place when complete without
// replacing anything, so concurrent runs never share or delete each other's folders and
// a failed or cancelled run never leaves a folder that looks complete. create() also
// removes work folders of processes that no longer run (SIGKILL, power loss); folders
// of live processes and names it did not make are left alone. Errors (exitCode 2) name
// the folder and the OS's reason.
#include "common/result.h"

#include <QString>
#include <QStringList>

namespace qs {

class WorkFolder {
public:
    // parent is created if missing; name is the final folder name inside it.
    static Result<WorkFolder> create(const QString& parent, const QString& name);

    const QString& workPath() const { return m_workPath; }
    const QString& finalPath() const { return m_finalPath; }  // after commit(): the name used

    // Renames the work folder to the final name. suffixOnCollision: a taken name becomes
    // "<name>-2", "-3", ...; otherwise an existing empty folder of that name is replaced
    // and a non-empty one is an error.
    Result<void> commit(bool suffixOnCollision = true);
    // Removes this process's work folder (never another one) and the parents create()
    // made, as far as they are empty.
    void discard();

private:
    QString m_finalPath;
    QString m_workPath;
    QStringList m_createdParents;  // made by create(), deepest first
};

} // namespace qs
