#pragma once
// TensorTree: the dotted tensor names of a model as a tree of plain nodes, built off the
// UI thread (it is part of the open-model job's result) and then handed to
// TensorTreeModel. "model.layers.0.mlp.w" becomes model > layers > 0 > mlp > w. A node
// can be a tensor and a group at once ("a.w" and "a.w.x"). Groups carry the leaf count,
// total elements and stored bytes of their subtree. path -> node lookup by hash.
// A logical tensor of a quantized checkpoint layout (issue #10) has its stored parts
// (X_blocks, X_scales, qweight ...) as child nodes: part >= 0, not in byPath, not
// counted in the totals, never returned by tensorsUnder (they are not analysed).
#include <QHash>
#include <QString>

#include <cstdint>
#include <vector>

namespace qs {

class Model;

struct TensorNode {
    QString name;               // last component ("weight", "10"); "" for the root
    QString path;               // the names' prefix up to this node ("model.layers.0", "net/conv1")
    int parent = -1;            // node index, -1 for the root
    int row = 0;                // position among the parent's children
    std::vector<int> children;  // node indices, in the model's (natural) order
    int tensor = -1;            // index into Model::tensors(), -1 for a pure group
    int part = -1;              // index into Model::storedParts() for a stored-part row
    int partChildren = 0;       // children that are stored parts (the first ones)
    int64_t leafCount = 0;      // tensors in the subtree (1 for a leaf)
    int64_t elements = 0;       // sum of numel over the subtree
    uint64_t storedBytes = 0;   // sum of stored bytes over the subtree
};

struct TensorTree {
    std::vector<TensorNode> nodes;  // nodes[0] is the root
    QHash<QString, int> byPath;     // full dotted path -> node index

    int find(const QString& path) const { return byPath.value(path, -1); }
    // Full names of the tensors in the subtree of node (itself included), in tree order.
    std::vector<std::string> tensorsUnder(int node, const Model& model) const;
};

TensorTree buildTensorTree(const Model& model);

} // namespace qs
