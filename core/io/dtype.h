#pragma once
// DType: the element types a safetensors header can name (HF_HUB.md §12.1), their
// sizes, and decoding of a run of stored elements to float32.
//
// Every dtype of the safetensors spec is known by name so that a header always opens;
// only some are decodable (dtypeDecodable). Decoding an undecodable dtype is a caller
// error (the model layer refuses to build a reader for it, naming tensor, dtype, file).
// Stored data is little-endian and need not be aligned: decoders read bytes.
//
// Decoding rules (all exact unless stated): F64 -> float with RNE; integers converted
// with RNE (I64/I32 may round); BOOL -> 0/1 (any non-zero byte is 1); F16 exact incl.
// subnormals/Inf/NaN; BF16 exact (bit shift); F8_E4M3 = OCP e4m3fn, F8_E5M2, F8_E8M0 =
// 2^(b-127) with 0xFF NaN (FORMATS.md §5), via 256-entry tables built from
// formats/minifloat.h.
#include <cstdint>
#include <string_view>

namespace qs {

enum class DType : uint8_t {
    // decodable
    F64, F32, F16, BF16, F8_E4M3, F8_E5M2, F8_E8M0, I64, I32, I16, I8, U8, BOOL,
    // header-readable, not decodable
    F4, F6_E2M3, F6_E3M2, F8_E4M3FNUZ, F8_E5M2FNUZ, U16, U32, U64, C64,
    Unknown
};

// "BF16" -> DType::BF16. Also accepts the non-standard spellings huggingface.js knows
// ("E8M0", "UE8" -> F8_E8M0, "FP4" -> F4). Anything else -> Unknown.
DType dtypeFromName(std::string_view name);
// Canonical safetensors spelling ("F8_E4M3"); "UNKNOWN" for Unknown.
std::string_view dtypeName(DType t);
// Bits per element (F4 4, F6_* 6, C64 64 ...); 0 for Unknown.
int dtypeBits(DType t);
// Whole bytes per element for byte-sized types, 0 for sub-byte types and Unknown.
int dtypeBytes(DType t);
// True when decodeToFloat supports the type.
bool dtypeDecodable(DType t);
// Integer and bool dtypes (I*, U*, BOOL): indices, masks, counters, never quantized.
bool dtypeIsInteger(DType t);

// Decodes count elements of type t starting at src (unaligned, little-endian) into
// out. Precondition: dtypeDecodable(t). Fast paths: tables for 8-bit types, bit ops
// for BF16/F16.
void decodeToFloat(DType t, const uint8_t* src, int64_t count, float* out);

// Scalar references written straight from the spec (FORMATS.md §5, IEEE 754), one
// element at a time; the fast path is tested against them bit for bit.
float decodeReference(DType t, const uint8_t* element);

// The 256-entry decode table of an 8-bit type (F8_*, I8, U8, BOOL); nullptr otherwise.
const float* decodeTable8(DType t);

// IEEE binary16 -> float32, exact (bit ops; bf16ToFloat is in formats/minifloat.h).
float f16ToFloat(uint16_t h);

} // namespace qs
