terraform {
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # The state bucket and its key come from bootstrap/ (its outputs), given at init:
  #   terraform init -backend-config=bucket=BUCKET -backend-config=region=REGION \
  #     -backend-config=kms_key_id=KEY_ARN
  # use_lockfile locks with a lock object beside the state: no DynamoDB table.
  backend "s3" {
    key          = "hello-service/staging/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}
