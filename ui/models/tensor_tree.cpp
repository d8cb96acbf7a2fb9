#include "models/tensor_tree.h"

#include "io/model.h"

namespace qs {

TensorTree buildTensorTree(const Model& model)
{
    TensorTree tree;
    tree.nodes.emplace_back();  // root
    const auto& tensors = model.tensors();
    tree.byPath.reserve(int(tensors.size()) * 2);
    for (size_t ti = 0; ti < tensors.size(); ++ti) {
        const TensorInfo& t = tensors[ti];
        const QString full = QString::fromStdString(t.name);
        // Components end at '.' or '/' (TF-style names form a tree too); a node's path is
        // the name's prefix up to its component, with the name's own separators.
        int node = 0;
        qsizetype start = 0;
        for (;;) {
            qsizetype end = start;
            while (end < full.size() && full[end] != QLatin1Char('.') && full[end] != QLatin1Char('/')) ++end;
            const QString part = full.mid(start, end - start);
            const QString path = full.left(end);
            int child = tree.find(path);
            if (child < 0) {
                child = int(tree.nodes.size());
                TensorNode n;
                n.name = part;
                n.path = path;
                n.parent = node;
                n.row = int(tree.nodes[size_t(node)].children.size());
                tree.nodes.push_back(std::move(n));
                tree.nodes[size_t(node)].children.push_back(child);
                tree.byPath.insert(path, child);
            }
            node = child;
            if (end >= full.size()) break;
            start = end + 1;
        }
        tree.nodes[size_t(node)].tensor = int(ti);
        if (t.layout && !t.layout->inPlace) {  // its stored parts, shown on expand
            const auto& parts = model.storedParts();
            for (const auto& [role, partName] : t.layout->parts) {
                const TensorInfo* p = model.findStored(partName);
                if (!p || p < parts.data() || p >= parts.data() + parts.size()) continue;
                TensorNode pn;
                pn.name = QString::fromStdString(partName);
                pn.path = pn.name;
                pn.parent = node;
                pn.part = int(p - parts.data());
                TensorNode& owner = tree.nodes[size_t(node)];
                // parts first, before any dotted children a later name might add
                pn.row = owner.partChildren;
                const int idx = int(tree.nodes.size());
                owner.children.insert(owner.children.begin() + owner.partChildren, idx);
                ++owner.partChildren;
                for (size_t k = size_t(owner.partChildren); k < owner.children.size(); ++k)
                    tree.nodes[size_t(owner.children[k])].row = int(k);
                tree.nodes.push_back(std::move(pn));
            }
        }
        // Totals up the chain.
        const uint64_t stored = t.byteLength;
        for (int n = node; n >= 0; n = tree.nodes[size_t(n)].parent) {
            TensorNode& tn = tree.nodes[size_t(n)];
            tn.leafCount += 1;
            tn.elements += t.numel();
            tn.storedBytes += stored;
        }
    }
    return tree;
}

std::vector<std::string> TensorTree::tensorsUnder(int node, const Model& model) const
{
    std::vector<std::string> out;
    if (node < 0 || size_t(node) >= nodes.size()) return out;
    std::vector<int> stack{node};
    while (!stack.empty()) {
        const int n = stack.back();
        stack.pop_back();
        const TensorNode& tn = nodes[size_t(n)];
        if (tn.tensor >= 0) out.push_back(model.tensors()[size_t(tn.tensor)].name);
        for (auto it = tn.children.rbegin(); it != tn.children.rend(); ++it) stack.push_back(*it);
    }
    return out;
}

} // namespace qs
