"""Payment gateways: the protocol (``base``), the registry built in ``PaymentsConfig.ready()``
(``registry``), the built-in test gateway (``testing``) and the Stripe adapter (``stripe``)."""
