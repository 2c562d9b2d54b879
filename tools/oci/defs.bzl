"""Public API of our OCI rules; names and attributes follow rules_oci."""

load("//tools/oci/private:image.bzl", _oci_image = "oci_image")
load("//tools/oci/private:image_index.bzl", _oci_image_index = "oci_image_index")
load("//tools/oci/private:layer.bzl", _oci_layer = "oci_layer")
load("//tools/oci/private:load.bzl", _oci_load = "oci_load")
load("//tools/oci/private:providers.bzl", _OciImageIndexInfo = "OciImageIndexInfo", _OciImageInfo = "OciImageInfo", _OciLayerInfo = "OciLayerInfo")
load("//tools/oci/private:push.bzl", _oci_push = "oci_push")
load("//tools/oci/private:push_all.bzl", _oci_push_all = "oci_push_all")
load("//tools/oci/private:size_test.bzl", _oci_size_report = "oci_size_report", _oci_size_test = "oci_size_test")

oci_image = _oci_image
oci_image_index = _oci_image_index
oci_layer = _oci_layer
oci_load = _oci_load
oci_push = _oci_push
oci_push_all = _oci_push_all
oci_size_report = _oci_size_report
oci_size_test = _oci_size_test
OciImageIndexInfo = _OciImageIndexInfo
OciImageInfo = _OciImageInfo
OciLayerInfo = _OciLayerInfo
