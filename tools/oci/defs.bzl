"""Public API of our OCI rules; names and attributes follow rules_oci."""

load("//tools/oci/private:image.bzl", _oci_image = "oci_image")
load("//tools/oci/private:layer.bzl", _oci_layer = "oci_layer")
load("//tools/oci/private:providers.bzl", _OciImageInfo = "OciImageInfo", _OciLayerInfo = "OciLayerInfo")

oci_image = _oci_image
oci_layer = _oci_layer
OciImageInfo = _OciImageInfo
OciLayerInfo = _OciLayerInfo
