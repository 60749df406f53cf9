module faultline/orders-go

go 1.19
