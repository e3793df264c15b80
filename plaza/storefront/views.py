from django.http import HttpResponse


def home(request):
    return HttpResponse("Plaza")


search = shop_detail = category_detail = product_detail = home
